#!/usr/bin/env bash
# Trains an image GAN once and measures it over training: every checkpoint is evaluated with
# `gantry eval` (docs/evaluation.md), from G's moving average and from the trained G when the
# run keeps an average, and one table is printed (docs/quality.md, "Images").
#
#   launch/quality-images.sh [--model M] [--data SPEC] [--steps N] [--every K] [--count C]
#                            [--ranks R] [--seed S] [--out DIR] [--label TEXT] [-- TRAIN_FLAGS...]
#
#   --model dcgan28, --data idx:data/mnist5k (run launch/get-mnist5k.sh first), --steps 1500,
#   --every 300 (a checkpoint, and so a row, every K steps), --count 2000 samples per
#   evaluation, --ranks 2, --seed 1, --out runs/quality-images-DATE.
#   TRAIN_FLAGS go to `gantry train` (e.g. --g-ema-kimg 10, --d-norm none --r1 1).
#
# The table has one row per checkpoint and generator: Fréchet distance in the classifier's
# features, IS analogue, classes with >= 1 %, class KL, precision, recall, SWD; the last row
# is the held-out real images' floor. Training time is printed; evaluation time is not part
# of it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
model=dcgan28 data=idx:$root/data/mnist5k steps=1500 every=300 count=2000 ranks=2 seed=1 out= label=
while [ $# -gt 0 ]; do
    case "$1" in
        --model) model=$2; shift 2 ;;
        --data) data=$2; shift 2 ;;
        --steps) steps=$2; shift 2 ;;
        --every) every=$2; shift 2 ;;
        --count) count=$2; shift 2 ;;
        --ranks) ranks=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --label) label=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "quality-images.sh: unknown argument '$1' (train flags go after --)" >&2; exit 64 ;;
    esac
done
out=${out:-$root/runs/quality-images-$(date -u +%Y%m%d-%H%M%S)}
if [ -e "$out" ]; then
    echo "quality-images.sh: '$out' already exists; give another --out" >&2
    exit 64
fi
"$root/launch/build.sh" >/dev/null
. "$root/launch/env.sh"
gantry="$root/.build/release/gantry"

started=$(date +%s)
mpirun -np "$ranks" --oversubscribe "$gantry" train --model "$model" --data "$data" --steps "$steps" \
    --seed "$seed" --checkpoint-every "$every" --keep 0 --sample-every "$every" --log-every 100 \
    --out "$out" "$@" > "$out.train.log" 2>&1 || { tail -n 20 "$out.train.log" >&2; exit 1; }
trained=$(( $(date +%s) - started ))
mv "$out.train.log" "$out/train.log"

python3 - "$gantry" "$out" "$count" "$label" "$trained" "$model" "$data" "$steps" "$ranks" "$*" <<'EOF'
import glob, json, os, subprocess, sys
gantry, out, count, label, trained, model, data, steps, ranks, flags = sys.argv[1:]
def evaluate(path, raw):
    command = [gantry, "eval", "--checkpoint", path, "--count", count, "--json"] + (["--raw-g"] if raw else [])
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
def cells(m):
    def f(key, digits): return "-" if m.get(key) is None else f"{m[key]:.{digits}f}"
    classes = "-" if m.get("classes_covered") is None else f"{m['classes_covered']}/{m['classes']}"
    return [f("frechet_distance", 1), f("inception_score", 2), classes, f("class_kl", 3),
            f("precision", 3), f("recall", 3), f("swd_mean", 1)]
config = json.load(open(os.path.join(out, "config.json")))
has_average = float(config.get("options", config).get("g_ema_kimg", 0) or 0) > 0
print(f"\n{label or 'run'}: {model} on {data}, {steps} steps on {ranks} ranks, train flags: {flags or '(none)'}; "
      f"training took {trained} s; {count} samples per evaluation")
print("\n| step | generator | FD | IS | classes ≥ 1% | class KL | precision | recall | SWD ×1e3 |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
floor = None
for path in sorted(glob.glob(os.path.join(out, "checkpoints", "step-*.gckpt"))):
    for raw in ([False, True] if has_average else [False]):
        result = evaluate(path, raw)
        floor = result["floor"]
        name = "moving average" if result["generator"] == "moving average" else "trained G"
        print("| " + " | ".join([str(result["step"]), name] + cells(result["model"])) + " |", flush=True)
print("| — | held-out real (floor) | " + " | ".join(cells(floor)) + " |")
EOF
