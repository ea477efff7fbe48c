#!/usr/bin/env bash
# GAN quality on a 2-D benchmark, PacGAN-style (docs/quality.md):
#
#   launch/quality-2d.sh [--data grid25] [--steps 50000] [--seeds 10] [--ranks 2]
#                        [--out DIR] [--label TEXT] [-- gantry train flags...]
#
# Trains `--model mlp` on DATA for STEPS steps once per seed 1..SEEDS, RANKS ranks each, runs
# `gantry eval` (2,500 samples) on each run's last checkpoint, and prints one line per seed and
# the table row: modes covered (by a high-quality sample), modes holding >= 1% of the samples,
# high-quality share and reverse KL, each as mean ± standard error over the seeds, then the
# steps and the mean wall time of a run. Runs go to DIR/seed-K (default: a new folder under
# runs/), their results to DIR/results.tsv.
#
# A measurement may be spread over several sittings: run the same command with the same --out
# again (or with more --seeds) and the seeds already in DIR/results.tsv are kept, not trained
# again; the table covers all of them. DIR/configuration records what DIR measures; another
# configuration in the same DIR is refused. A seed whose run was interrupted (a DIR/seed-K without
# a result) is moved aside to DIR/seed-K.interrupted-TIME and trained afresh: nothing is deleted.
#
# Example (PacGAN's networks, packing 2):
#   launch/quality-2d.sh --data grid25 --steps 50000 --seeds 3 -- --preset pacgan --pack 2
#
# Environment: GANTRY_BIN, GANTRY_NO_SETUP, MPIRUN as for launch/local.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
script=launch/quality-2d.sh
. "$root/launch/job.sh"

data=grid25 steps=50000 seeds=10 ranks=2 out="" label=""
usage() { echo "$script: $1 (usage: $script [--data D] [--steps N] [--seeds N] [--ranks N] [--out DIR] [--label TEXT] [-- train flags])" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --data|--steps|--seeds|--ranks|--out|--label)
            [ $# -ge 2 ] || usage "$1 needs a value"
            declare "${1#--}=$2"
            shift 2 ;;
        --) shift; break ;;
        *) usage "unknown argument '$1'" ;;
    esac
done
for setting in steps seeds ranks; do
    [[ "${!setting}" =~ ^[1-9][0-9]*$ ]] || usage "--$setting takes a positive number, not '${!setting}'"
done
flags=("$@")
out=${out:-runs/quality-$data-$(date -u +%Y%m%d-%H%M%S)}
label=${label:-${flags[*]:-vanilla}}

binary=$(gantry_binary)
. "$root/launch/env.sh"
extra=()
cores=$(nproc)
if [ "$ranks" -gt "$cores" ]; then extra+=(--oversubscribe --bind-to none); fi
mkdir -p "$out"
# The measurement a folder holds: another one is refused, so that sittings are never mixed.
configuration="--data $data --steps $steps --ranks $ranks -- ${flags[*]:-}"
if [ -s "$out/configuration" ] && [ "$(cat "$out/configuration")" != "$configuration" ]; then
    echo "$script: $out holds the measurement '$(cat "$out/configuration")', not '$configuration': use another --out" >&2
    exit 2
fi
echo "$configuration" > "$out/configuration"

# One line per seed: seed, modes covered, modes with >= 1%, HQ share, reverse KL, seconds.
results="$out/results.tsv"
touch "$results"
for seed in $(seq 1 "$seeds"); do
    run="$out/seed-$seed"
    if grep -q "^$seed	" "$results"; then
        echo "seed $seed: measured before (in $results)"
        continue
    fi
    if [ -e "$run" ]; then
        aside="$run.interrupted-$(date -u +%Y%m%d-%H%M%S)"
        echo "seed $seed: $run has no result (an interrupted run): moved to $aside, trained again"
        mv "$run" "$aside"
        if [ -e "$run.log" ]; then mv "$run.log" "$aside.log"; fi
    fi
    start=$(date +%s%N)
    if ! "${MPIRUN:-mpirun}" -np "$ranks" ${extra[@]+"${extra[@]}"} "$binary" train --model mlp --data "$data" \
            --steps "$steps" --seed "$seed" --log-every 5000 --sample-every "$steps" --checkpoint-every "$steps" \
            --out "$run" ${flags[@]+"${flags[@]}"} > "$run.log" 2>&1; then
        echo "$script: seed $seed failed; its output is in $run.log:" >&2
        tail -n 5 "$run.log" >&2
        exit 1
    fi
    seconds=$(( ($(date +%s%N) - start) / 1000000000 ))
    "$binary" eval --checkpoint "$run" --json > "$run.eval.json"
    python3 - "$run.eval.json" "$seed" "$seconds" >> "$results" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(sys.argv[2], r["modes_covered"], r["modes_with_1_percent"], r["high_quality_share"], r["reverse_kl"], sys.argv[3], sep="\t")
EOF
    tail -n 1 "$results" | awk -F'\t' -v modes="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["modes"])' "$run.eval.json")" \
        '{ printf "seed %s: %s/%s modes covered, %s with >= 1%%, HQ %.1f%%, reverse KL %.3f, %.0f s\n", $1, $2, modes, $3, 100 * $4, $5, $6 }'
done

# Mean ± standard error (sample standard deviation / √n; 0 for one seed).
awk -F'\t' -v label="$label" -v steps="$steps" -v ranks="$ranks" -v data="$data" '
    { for (i = 2; i <= 6; i++) { sum[i] += $i; squares[i] += $i * $i }; n++ }
    function mean(i) { return sum[i] / n }
    function se(i,   v) { if (n < 2) return 0; v = (squares[i] - n * mean(i) ^ 2) / (n - 1); return sqrt(v > 0 ? v : 0) / sqrt(n) }
    END {
        printf "\n| %s | configuration | seeds | modes | modes >= 1%% | HQ %% | reverse KL | steps | wall s/run (%d ranks) |\n", data, ranks
        printf "|---|---|---|---|---|---|---|---|---|\n"
        printf "| %s | %s | %d | %.1f ± %.1f | %.1f ± %.1f | %.1f ± %.1f | %.3f ± %.3f | %d | %.0f |\n", data, label, n,
               mean(2), se(2), mean(3), se(3), 100 * mean(4), 100 * se(4), mean(5), se(5), steps, mean(6)
    }' <(sort -n "$results" | awk -F'\t' -v seeds="$seeds" '$1 <= seeds')
