#!/usr/bin/env bash
# Scaling benchmark on this machine: `gantry bench step` (the real training iteration on
# synthetic data, every rank trains, rank 0 reports) for 1, 2 and 4 ranks on one node and for
# 2 "nodes" over TCP (loopback addresses, launch/cluster.sh), in weak and strong scaling,
# plus `gantry bench allreduce` next to it; then bench/scaling_report.py writes
#
#   DIR/scaling.json  every configuration: images/s, speedup and efficiency versus 1 rank,
#                     the per-phase breakdown, the raw bench-step reports of every repeat
#   DIR/scaling.csv   one row per configuration
#   DIR/scaling.md    the same as a markdown table, with the definitions
#   DIR/scaling.svg   images/s versus ranks (weak, strong, ideal) and per-phase bars
#
#   bench/bench-scaling.sh [--steps N] [--repeats R] [--out DIR] [--model dcgan28]
#
# Options:
#   --steps N      timed iterations per run (default 20; 3 untimed warm-up iterations first)
#   --repeats R    runs per configuration, interleaved; the report takes the run with the
#                  median global images/s and shows the range (default 3)
#   --out DIR      output directory (default runs/scaling-DATE); raw reports go to DIR/raw
#   --model M      model (default dcgan28)
#   --batch B      samples per rank for weak scaling (default 64); strong scaling keeps the
#                  global batch at 2B (1 rank: 2B, 2 ranks: B, 4 ranks: B/2)
#   --allreduce M  passed to gantry bench step: fused or bucketed (default: the binary's, fused)
#   --bucket-mb X  passed to gantry bench step with --allreduce bucketed
#   --compress C   passed to gantry bench step: none or fp16
#   --no-tcp       skip the two-"node" TCP runs
#   --no-allreduce skip gantry bench allreduce
#
# Configurations (weak: batch B per rank; strong: global batch 2B split over the ranks):
#   local, 1 rank        mpirun -np 1 (one core, one BLAS thread)
#   local, 2 ranks       mpirun -np 2, one rank per core, shared memory between them
#   local, 4 ranks       mpirun -np 4 --oversubscribe --bind-to none: more ranks than cores
#                        when the machine has fewer than 4, marked "oversubscribed"
#   tcp, 2 nodes         launch/cluster.sh with a hostfile of 127.0.0.2 and 127.0.0.3 (one
#                        slot each), cluster/loopback-agent.sh, --iface lo, --btl tcp,self,
#                        --bind-to none: one mpirun daemon per "node", ranks talk over TCP
#
# About 3–4 minutes with the defaults on an idle 2-core machine. Works from a fresh clone as
# root without a terminal: installs what is missing (launch/setup.sh, and python3), builds
# the release binary (launch/build.sh) unless GANTRY_BIN names one.
#
# Environment: GANTRY_BIN (binary to measure; default: build and use .build/release/gantry),
# OPENBLAS_NUM_THREADS (default 1), GANTRY_TIMEOUT (seconds per run, default 300).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() { echo "bench/bench-scaling.sh: $*" >&2; exit 2; }
need() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }

steps=20 repeats=3 out='' model=dcgan28 batch=64 tcp=1 allreduce=1 extra_flags=()
while [ $# -gt 0 ]; do
    case "$1" in
        --steps) need "$@"; steps=$2; shift 2 ;;
        --repeats) need "$@"; repeats=$2; shift 2 ;;
        --out) need "$@"; out=$2; shift 2 ;;
        --model) need "$@"; model=$2; shift 2 ;;
        --batch) need "$@"; batch=$2; shift 2 ;;
        --allreduce) need "$@"; extra_flags+=(--allreduce "$2"); shift 2 ;;
        --bucket-mb) need "$@"; extra_flags+=(--bucket-mb "$2"); shift 2 ;;
        --compress) need "$@"; extra_flags+=(--compress "$2"); shift 2 ;;
        --no-tcp) tcp=0; shift ;;
        --no-allreduce) allreduce=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option '$1' (--help)" ;;
    esac
done
for value in "$steps" "$repeats" "$batch"; do
    [[ "$value" =~ ^[1-9][0-9]*$ ]] || die "--steps, --repeats and --batch take positive numbers, not '$value'"
done
[ $(( (2 * batch) % 4 )) -eq 0 ] || die "--batch must be even (strong scaling splits 2×batch over 4 ranks)"

. "$root/bench/bench-prepare.sh"

out=${out:-$root/runs/scaling-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$out/raw"
out=$(cd "$out" && pwd)
cores=$(nproc)
hostfile=$out/raw/hostfile
printf '127.0.0.2 slots=1\n127.0.0.3 slots=1\n' >"$hostfile"

# name|scaling|ranks|batch per rank|placement
configs=(
    "weak-local-1|weak|1|$batch|local"
    "weak-local-2|weak|2|$batch|local"
    "weak-local-4|weak|4|$batch|local"
    "strong-local-1|strong|1|$((2 * batch))|local"
    "strong-local-2|strong|2|$batch|local"
    "strong-local-4|strong|4|$((batch / 2))|local"
)
if [ "$tcp" = 1 ]; then
    configs+=("weak-tcp-2|weak|2|$batch|tcp" "strong-tcp-2|strong|2|$batch|tcp")
fi

# Runs one configuration once; the bench-step JSON goes to raw/NAME-rR.json, all output to .log.
run_one() {
    local name=$1 ranks=$2 per_rank=$3 placement=$4 repeat=$5
    local log=$out/raw/$name-r$repeat.log json=$out/raw/$name-r$repeat.json
    local flags=(--model "$model" --batch "$per_rank" --steps "$steps" ${extra_flags[@]+"${extra_flags[@]}"} --json)
    local status=0
    cut -d' ' -f1-3 /proc/loadavg >"$out/raw/$name-r$repeat.load"   # how busy the machine was
    if [ "$placement" = tcp ]; then
        GANTRY_BIN=$binary GANTRY_COMMAND="bench step" timeout -k 5 "$limit" \
            "$root/launch/cluster.sh" --hostfile "$hostfile" --agent "$root/cluster/loopback-agent.sh" \
            --iface lo --btl tcp,self --bind-to none -- "${flags[@]}" >"$log" 2>&1 || status=$?
    else
        local extra=()
        if [ "$ranks" -gt "$cores" ]; then extra+=(--oversubscribe --bind-to none); fi
        timeout -k 5 "$limit" mpirun -np "$ranks" ${extra[@]+"${extra[@]}"} -x OPENBLAS_NUM_THREADS \
            "$binary" bench step "${flags[@]}" >"$log" 2>&1 || status=$?
    fi
    if [ "$status" -ne 0 ] || ! grep '^{' "$log" | tail -n 1 >"$json" || [ ! -s "$json" ]; then
        rm -f "$json"
        echo "bench-scaling: $name (repeat $repeat) failed with status $status; last lines of $log:" >&2
        tail -n 20 "$log" >&2
        return 1
    fi
    printf 'bench-scaling: %-15s repeat %d: %s (load before: %s)\n' "$name" "$repeat" \
        "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.1f images/s global, %.1f ms/iteration, %d ranks" % (r["global_images_per_s"], r["ms_per_iteration"], r["world_size"]))' "$json")" \
        "$(cat "$out/raw/$name-r$repeat.load")"
}

started=$(date +%s)
echo "bench-scaling: $model, $steps timed steps, $repeats repeats, $cores cores, binary $binary -> $out"
failed=0
# Interleaved repeats: a burst of load from elsewhere lands on different configurations.
for repeat in $(seq 1 "$repeats"); do
    for config in "${configs[@]}"; do
        IFS='|' read -r name _ ranks per_rank placement <<<"$config"
        run_one "$name" "$ranks" "$per_rank" "$placement" "$repeat" || failed=$((failed + 1))
    done
done

if [ "$allreduce" = 1 ]; then
    echo "bench-scaling: gantry bench allreduce, 2 ranks (shared memory, then TCP)"
    timeout -k 5 "$limit" mpirun -np 2 "$binary" bench allreduce --min-bytes 65536 --max-bytes 16777216 --seconds 1 --json \
        >"$out/raw/allreduce-local-2.log" 2>&1 || failed=$((failed + 1))
    grep '^{' "$out/raw/allreduce-local-2.log" | tail -n 1 >"$out/raw/allreduce-local-2.json" || true
    if [ "$tcp" = 1 ]; then
        GANTRY_BIN=$binary GANTRY_COMMAND="bench allreduce" timeout -k 5 "$limit" \
            "$root/launch/cluster.sh" --hostfile "$hostfile" --agent "$root/cluster/loopback-agent.sh" \
            --iface lo --btl tcp,self --bind-to none -- --min-bytes 65536 --max-bytes 16777216 --seconds 1 --json \
            >"$out/raw/allreduce-tcp-2.log" 2>&1 || failed=$((failed + 1))
        grep '^{' "$out/raw/allreduce-tcp-2.log" | tail -n 1 >"$out/raw/allreduce-tcp-2.json" || true
    fi
fi

# What the report needs to say how it was measured.
python3 - "$out/raw/meta.json" <<EOF
import json, sys
json.dump({"model": "$model", "batch_per_rank_weak": $batch, "global_batch_strong": $((2 * batch)),
           "steps": $steps, "warmup_steps": 3, "repeats": $repeats, "cores": $cores,
           "binary": "$binary", "load_average_after": open("/proc/loadavg").read().split()[:3],
           "seconds": $(( $(date +%s) - started )), "failed_runs": $failed,
           "command": "bench/bench-scaling.sh --steps $steps --repeats $repeats --model $model --batch $batch"
                      + "${extra_flags[*]+ ${extra_flags[*]}}" + ("" if $tcp else " --no-tcp") + ("" if $allreduce else " --no-allreduce")},
          open(sys.argv[1], "w"), indent=1)
EOF
python3 "$root/bench/scaling_report.py" "$out"
echo "bench-scaling: $(( $(date +%s) - started )) s; $out/scaling.{md,csv,json,svg}"
[ "$failed" -eq 0 ] || { echo "bench-scaling: $failed run(s) failed (see $out/raw/*.log)" >&2; exit 1; }
