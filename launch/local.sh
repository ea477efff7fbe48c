#!/usr/bin/env bash
# Train on this machine: launch/local.sh [-n RANKS] [gantry train flags...]
# Builds the release binary when needed, then starts RANKS processes with mpirun (default:
# one per core), one BLAS thread each.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ranks=$(nproc)
if [ "${1:-}" = "-n" ]; then
    ranks=${2:?"-n needs a number of ranks"}
    shift 2
fi

"$root/launch/setup.sh"
"$root/launch/build.sh"
binary="$root/.build/release/gantry"

. "$root/launch/env.sh"
extra=()
if [ "$ranks" -gt "$(nproc)" ]; then
    extra+=(--oversubscribe --bind-to none)   # more ranks than cores: let them share
fi
exec mpirun -np "$ranks" "${extra[@]}" "$binary" train "$@"
