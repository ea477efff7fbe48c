#!/usr/bin/env bash
# Gantry's two convolution backends side by side: `gantry bench step --model dcgan28` (batch
# 64, one rank) with --conv-backend gantry (im2col + OpenBLAS sgemm) and onednn, at 1 and 2
# threads, interleaved round by round so that a change of the machine's load hits both alike.
# Prints the median images/s per configuration over the rounds, the range, the oneDNN/Gantry
# ratio and the peak resident set.
#
#   bench/bench-conv-backend.sh [--rounds R] [--steps N] [--layers]
#
# Options:
#   --rounds R   rounds (default 3)
#   --steps N    timed iterations per run (default 20, after 3 warm-up iterations)
#   --layers     also time dcgan28's eight convolutions in oneDNN pass by pass
#                (bench/onednn_dcgan28_convs.cpp, compiled with g++; one core, one thread)
#
# About 3 minutes with the defaults. Not run by launch/test.sh or CI. Environment: as
# bench/bench-scaling.sh (GANTRY_BIN, GANTRY_TIMEOUT).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() { echo "bench/bench-conv-backend.sh: $*" >&2; exit 2; }
need() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }

rounds=3 steps=20 layers=0
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) need "$@"; rounds=$2; shift 2 ;;
        --steps) need "$@"; steps=$2; shift 2 ;;
        --layers) layers=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option '$1' (--help)" ;;
    esac
done
for value in "$rounds" "$steps"; do
    [[ "$value" =~ ^[1-9][0-9]*$ ]] || die "--rounds and --steps take positive numbers, not '$value'"
done

bench_packages=$([ "$layers" = 1 ] && echo g++ || true)
. "$root/bench/bench-prepare.sh"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

if [ "$layers" = 1 ]; then
    g++ -O2 -std=c++17 -o "$results/onednn-convs" "$root/bench/onednn_dcgan28_convs.cpp" -ldnnl
    OMP_NUM_THREADS=1 taskset -c 0 "$results/onednn-convs" 64 20
    echo
fi

for round in $(seq "$rounds"); do
    for threads in 1 2; do
        for backend in gantry onednn; do
            timeout "$limit" "$binary" bench step --model dcgan28 --batch 64 --steps "$steps" --threads "$threads" \
                --conv-backend "$backend" --json | grep '^{' > "$results/$backend-t$threads-r$round.json" \
                || die "bench step --conv-backend $backend --threads $threads failed"
        done
    done
done

python3 - "$results" <<'PYTHON'
import glob, json, os, statistics, sys
runs = {}
for path in glob.glob(os.path.join(sys.argv[1], "*.json")):
    backend, threads, _ = os.path.basename(path)[:-5].split("-")
    runs.setdefault((backend, threads), []).append(json.load(open(path)))
first = next(iter(runs.values()))[0]
print(f"dcgan28, batch 64, 1 rank; {first['kernels']['cpu']['model']} ({first['kernels']['cpu']['isa']}), "
      f"{first['kernels']['blas']['name']} {first['kernels']['blas']['kernels']} kernels; medians of {len(runs[('gantry', 't1')])} rounds")
print("| threads | backend | images/s (range) | ms / iteration | oneDNN / Gantry | peak resident | convolutions |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for threads in ("t1", "t2"):
    gantry = statistics.median(r["images_per_s"] for r in runs[("gantry", threads)])
    for backend in ("gantry", "onednn"):
        reports = runs[(backend, threads)]
        rates = [r["images_per_s"] for r in reports]
        rate = statistics.median(rates)
        ms = statistics.median(r["ms_per_iteration"] for r in reports)
        rss = max(r["peak_resident_mb"] for r in reports)
        print(f"| {threads[1:]} | {backend} | {rate:.1f} ({min(rates):.1f}–{max(rates):.1f}) | {ms:.1f} | "
              f"{rate / gantry:.2f}× | {rss:.1f} MB | {reports[0]['kernels']['convolutions']} |")
PYTHON
