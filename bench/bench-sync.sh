#!/usr/bin/env bash
# Gradient synchronisation inside the training step: `gantry bench step` (dcgan28, batch 64
# per rank, 2 ranks, one BLAS thread each) for every way Gantry can synchronise gradients,
# over three links, so that the choice between them rests on numbers:
#
#   fused        --allreduce fused                       (the default)
#   fused-fp16   --allreduce fused --compress fp16
#   bucketed       --allreduce bucketed
#   bucketed-fp16  --allreduce bucketed --compress fp16
#
#   shm          mpirun -np 2: shared memory between the ranks
#   tcp          mpirun -np 2 --mca btl tcp,self over loopback: the data path between nodes
#   tcp-RATE     the same through a token bucket on lo (tc qdisc tbf; needs root), a slow
#                network: both directions share RATE, so each rank sends at about RATE/2
#
# Writes DIR/raw/LINK-SYNC-rR.json (the bench-step reports) and DIR/sync.md, a table of the
# median run per link and synchronisation: global images/s (range), ms per iteration, and
# exposed communication (the waits after backward, D + G), and prints the table.
#
#   bench/bench-sync.sh [--steps N] [--repeats R] [--rate RATE] [--links L,…] [--syncs S,…] [--out DIR]
#
# Options:
#   --steps N     timed iterations per run (default 20, after 3 warm-up iterations)
#   --repeats R   runs per configuration, interleaved (default 3)
#   --rate RATE   the slow link's rate in tc's units, e.g. 1gbit, 500mbit (default 1gbit);
#                 "none" skips it
#   --links L,…   only these links (shm, tcp, slow: the rate-limited one); default all
#   --syncs S,…   only these synchronisations (names above); default all
#   --out DIR     output directory (default runs/sync-DATE)
#
# About 8 minutes with the defaults. The token bucket is removed when the script ends, also
# on failure or interrupt. Environment: as bench/bench-scaling.sh (GANTRY_BIN, GANTRY_TIMEOUT).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() { echo "bench/bench-sync.sh: $*" >&2; exit 2; }
need() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }

steps=20 repeats=3 rate=1gbit out='' only_links='' only_syncs=''
while [ $# -gt 0 ]; do
    case "$1" in
        --steps) need "$@"; steps=$2; shift 2 ;;
        --repeats) need "$@"; repeats=$2; shift 2 ;;
        --rate) need "$@"; rate=$2; shift 2 ;;
        --out) need "$@"; out=$2; shift 2 ;;
        --links) need "$@"; only_links=",$2,"; shift 2 ;;
        --syncs) need "$@"; only_syncs=",$2,"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option '$1' (--help)" ;;
    esac
done
for value in "$steps" "$repeats"; do
    [[ "$value" =~ ^[1-9][0-9]*$ ]] || die "--steps and --repeats take positive numbers, not '$value'"
done
[[ "$rate" = none || "$rate" =~ ^[0-9]+(k|m|g)?bit$ ]] || die "--rate takes a rate like 1gbit or 500mbit, or none; not '$rate'"

bench_packages=iproute2
. "$root/bench/bench-prepare.sh"
out=${out:-$root/runs/sync-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$out/raw"
out=$(cd "$out" && pwd)

links=(shm tcp)
if [ "$rate" != none ]; then
    # Check that a token bucket can be installed on lo before relying on it.
    if [ "$(id -u)" -eq 0 ] && tc qdisc replace dev lo root tbf rate "$rate" burst 1mb latency 100ms 2>/dev/null; then
        tc qdisc del dev lo root
        links+=("tcp-$rate")
    else
        echo "bench-sync: cannot shape lo here (needs root and the tbf qdisc); skipping tcp-$rate" >&2
    fi
fi
trap 'tc qdisc del dev lo root 2>/dev/null || true' EXIT
if [ -n "$only_links" ]; then
    kept=()
    for link in "${links[@]}"; do
        case "$only_links" in *",$link,"*|*",${link/tcp-$rate/slow},"*) kept+=("$link") ;; esac
    done
    [ ${#kept[@]} -gt 0 ] || die "--links ${only_links//,/ } names none of: shm tcp slow"
    links=("${kept[@]}")
fi

syncs=(
    "fused|--allreduce fused"
    "fused-fp16|--allreduce fused --compress fp16"
    "bucketed|--allreduce bucketed"
    "bucketed-fp16|--allreduce bucketed --compress fp16"
)

if [ -n "$only_syncs" ]; then
    kept=()
    for entry in "${syncs[@]}"; do
        case "$only_syncs" in *",${entry%%|*},"*) kept+=("$entry") ;; esac
    done
    [ ${#kept[@]} -gt 0 ] || die "--syncs ${only_syncs//,/ } names none of: ${syncs[*]%%|*}"
    syncs=("${kept[@]}")
fi

started=$(date +%s)
echo "bench-sync: dcgan28, 2 ranks, $steps timed steps, $repeats repeats, links ${links[*]} -> $out"
failed=0
for link in "${links[@]}"; do
    mpi=()
    [ "$link" = shm ] || mpi=(--mca btl tcp,self --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo)
    tc qdisc del dev lo root 2>/dev/null || true
    case "$link" in tcp-*) tc qdisc add dev lo root tbf rate "${link#tcp-}" burst 1mb latency 100ms ;; esac
    for repeat in $(seq 1 "$repeats"); do
        for entry in "${syncs[@]}"; do
            IFS='|' read -r name flags <<<"$entry"
            json=$out/raw/$link-$name-r$repeat.json log=$out/raw/$link-$name-r$repeat.log
            # shellcheck disable=SC2086  # $flags is a list of words
            if timeout -k 5 "$limit" mpirun -np 2 "${mpi[@]}" "$binary" bench step --model dcgan28 --batch 64 \
                    --steps "$steps" --json $flags >"$log" 2>&1 && grep '^{' "$log" | tail -n 1 >"$json" && [ -s "$json" ]; then
                printf 'bench-sync: %-16s %-12s repeat %d: %s images/s\n' "$link" "$name" "$repeat" \
                    "$(python3 -c 'import json,sys; print("%.1f" % json.load(open(sys.argv[1]))["global_images_per_s"])' "$json")"
            else
                rm -f "$json"
                failed=$((failed + 1))
                echo "bench-sync: $link $name (repeat $repeat) failed; last lines of $log:" >&2
                tail -n 20 "$log" >&2
            fi
        done
    done
done
tc qdisc del dev lo root 2>/dev/null || true

python3 - "$out" "${links[*]}" "$(printf '%s ' "${syncs[@]%%|*}")" "$steps" "$repeats" "$(( $(date +%s) - started ))" <<'PY'
import glob, json, sys
out, links, syncs, steps, repeats, seconds = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), *sys.argv[4:]
lines = [f"Measured by `bench/bench-sync.sh --steps {steps} --repeats {repeats}` in {seconds} s: dcgan28, batch 64 per rank, "
         "2 ranks, one BLAS thread each. The run with the median images/s of each configuration; exposed "
         "communication is the time spent waiting for the D and G allreduces after backward.", "",
         "| link | synchronisation | global images/s (range) | ms/iteration | exposed communication |",
         "| --- | --- | --- | --- | --- |"]
for link in links:
    for sync in syncs:
        runs = [json.load(open(path)) for path in sorted(glob.glob(f"{out}/raw/{link}-{sync}-r*.json"))]
        if not runs:
            lines.append(f"| {link} | {sync} | failed | | |")
            continue
        rates = [run["global_images_per_s"] for run in runs]
        # The lower median with an even count, as bench/scaling_report.py picks it.
        median = sorted(runs, key=lambda run: run["global_images_per_s"])[(len(runs) - 1) // 2]
        parts = median["ms_per_part"]
        exposed = parts["d_allreduce"] + parts["g_allreduce"]
        lines.append(f"| {link} | {sync} | {median['global_images_per_s']:.1f} ({min(rates):.1f}–{max(rates):.1f}) | "
                     f"{median['ms_per_iteration']:.1f} | {exposed:.1f} ms ({100 * exposed / median['ms_per_iteration']:.1f} %) |")
open(f"{out}/sync.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
echo "bench-sync: $(( $(date +%s) - started )) s; $out/sync.md"
[ "$failed" -eq 0 ] || { echo "bench-sync: $failed run(s) failed (see $out/raw/*.log)" >&2; exit 1; }
