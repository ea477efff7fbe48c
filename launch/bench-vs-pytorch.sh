#!/usr/bin/env bash
# Gantry against PyTorch on dcgan28, batch 64 per process, side by side:
#
#   launch/bench-vs-pytorch.sh --install      create the PyTorch environment (once; GBs from PyPI)
#   launch/bench-vs-pytorch.sh [--rounds N] [--steps S]
#
# Three configurations: 1 process × 1 thread, 1 process × 2 threads, 2 processes × 1 thread
# (Gantry: mpirun -np 2, one core per rank; PyTorch: DDP over gloo, one core per process).
# Each round runs every configuration of both, interleaved, so that a change of the
# machine's load hits both alike; the table (bench/vs_pytorch_report.py) gives the medians
# over the rounds and says which of the targets of docs/performance.md ("Against PyTorch")
# are met, and by how much. Not run by launch/test.sh or CI.
#
# The PyTorch environment lives outside the repository, in
# ${XDG_CACHE_HOME:-~/.cache}/gantry/torch-venv (GANTRY_TORCH_VENV overrides it).
# Environment: GANTRY_BIN (default .build/release/gantry, built when missing or stale),
# MPIRUN (default mpirun).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
script=launch/bench-vs-pytorch.sh
venv=${GANTRY_TORCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/gantry/torch-venv}
die() { echo "$script: $*" >&2; exit 2; }

rounds=3 steps=20 install=0
while [ $# -gt 0 ]; do
    case "$1" in
        --install) install=1; shift ;;
        --rounds) [ $# -ge 2 ] || die "--rounds needs a number"; rounds=$2; shift 2 ;;
        --steps) [ $# -ge 2 ] || die "--steps needs a number"; steps=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (--help)" ;;
    esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "--rounds takes a positive number, not '$rounds'"
[[ "$steps" =~ ^[1-9][0-9]*$ ]] || die "--steps takes a positive number, not '$steps'"

if [ "$install" = 1 ]; then
    mkdir -p "$(dirname "$venv")"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --progress-bar off torch numpy
    "$venv/bin/python" -c 'import torch; print("torch", torch.__version__, "in", "'"$venv"'")'
    exit 0
fi
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import torch' 2>/dev/null \
    || die "no PyTorch in $venv: run $script --install first"

. "$root/launch/job.sh"
binary=$(gantry_binary)
. "$root/launch/env.sh"
mpirun=${MPIRUN:-mpirun}
python=$venv/bin/python
results=$(mktemp)
trap 'rm -f "$results"' EXIT

# One line per run: "<configuration> <framework> <json>".
record() {
    local configuration=$1 framework=$2 line
    shift 2
    line=$("$@" 2>/dev/null | grep '^{' | tail -n 1) || true
    [ -n "$line" ] || { echo "$script: no result from: $*" >&2; return; }
    echo "$configuration $framework $line" >>"$results"
}

echo "$script: $rounds rounds of 6 runs, $steps timed iterations each (dcgan28, batch 64 per process)" >&2
for round in $(seq "$rounds"); do
    echo "$script: round $round" >&2
    record 1x1 gantry "$binary" bench step --model dcgan28 --batch 64 --steps "$steps" --threads 1 --json
    record 1x1 pytorch "$python" "$root/bench/pytorch_dcgan28.py" --steps "$steps" --threads 1
    record 1x2 gantry "$binary" bench step --model dcgan28 --batch 64 --steps "$steps" --threads 2 --json
    record 1x2 pytorch "$python" "$root/bench/pytorch_dcgan28.py" --steps "$steps" --threads 2
    record 2x1 gantry "$mpirun" -np 2 --bind-to core "$binary" bench step --model dcgan28 --batch 64 --steps "$steps" --json
    record 2x1 pytorch env OMP_NUM_THREADS=1 "$python" -m torch.distributed.run --standalone --nproc_per_node 2 \
        "$root/bench/pytorch_dcgan28.py" --steps "$steps" --threads 1
done
"$python" "$root/bench/vs_pytorch_report.py" "$results"
