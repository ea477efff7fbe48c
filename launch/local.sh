#!/usr/bin/env bash
# Train on this machine: launch/local.sh [-n RANKS] [gantry train flags...]
#
# Starts RANKS processes with mpirun (default: one per physical core, not per hardware
# thread), each bound to its own core. With gantry's --threads T each rank gets T cores
# (mpirun --map-by slot:PE=T) and the default is one rank per T physical cores. -n may come
# anywhere among the arguments. Builds the
# release binary first when it is missing or older than the sources.
#
# Ctrl-C or SIGTERM to this script stops the run cleanly: the ranks get SIGTERM (mpirun does
# not, it would SIGKILL them a second later), save a checkpoint at the next step boundary
# and exit 0, and so does this script. The stop message says how to continue.
#
# Environment: GANTRY_BIN (the binary to run; nothing is built), GANTRY_NO_SETUP=1 (never
# install packages nor build), MPIRUN (default mpirun: the one on the PATH, e.g. from
# `module load openmpi`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
script=launch/local.sh
. "$root/launch/job.sh"

# Physical cores: unique (core, socket) pairs, since two hardware threads of a core share its
# arithmetic units; never more than the CPUs this process may use.
cores=$( (lscpu -p=Core,Socket 2>/dev/null || true) | grep -v '^#' | sort -u | wc -l)
if [ "$cores" -lt 1 ] || [ "$cores" -gt "$(nproc)" ]; then cores=$(nproc); fi

ranks=''
flags=()
while [ $# -gt 0 ]; do
    case "$1" in
        -n)
            [ $# -ge 2 ] || { echo "$script: -n needs a number of ranks" >&2; exit 2; }
            ranks=$2
            shift 2 ;;
        *) flags+=("$1"); shift ;;
    esac
done
threads=$(threads_per_rank ${flags[@]+"${flags[@]}"})
if [ -z "$ranks" ]; then ranks=$(( cores / threads > 0 ? cores / threads : 1 )); fi
if ! [[ "$ranks" =~ ^[1-9][0-9]*$ ]]; then echo "$script: -n takes a positive number, not '$ranks'" >&2; exit 2; fi

binary=$(gantry_binary)
. "$root/launch/env.sh"
# The stop message names this script as the way to continue.
export GANTRY_LAUNCHER="$root/launch/local.sh -n $ranks"
extra=()
if [ $((ranks * threads)) -gt "$cores" ]; then
    extra+=(--oversubscribe --bind-to none)   # more threads than cores: let them share
elif [ "$threads" -gt 1 ]; then
    extra+=(--map-by "slot:PE=$threads" --bind-to core)   # T cores per rank, one per thread
fi
job_run stop_ranks "${MPIRUN:-mpirun}" -np "$ranks" ${extra[@]+"${extra[@]}"} "$binary" train ${flags[@]+"${flags[@]}"}
exit "$job_status"
