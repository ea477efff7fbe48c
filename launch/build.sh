#!/usr/bin/env bash
# Builds the release binary .build/release/gantry (incremental: quick when nothing changed).
# Prints the compiler's output only when the build fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/launch/env.sh"   # a module-loaded OpenMPI on the PATH is built against
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! swift build -c release --package-path "$root" "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "launch/build.sh: swift build failed" >&2
    exit 1
fi
