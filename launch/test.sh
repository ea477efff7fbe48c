#!/usr/bin/env bash
# Runs Gantry's whole test suite: installs what is missing, builds optimised (multi-rank
# training tests need release speed; -enable-testing keeps @testable imports working), and
# runs every test, including the ones that start mpirun. Extra arguments go to swift test
# (e.g. --filter BadInputTests).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/launch/setup.sh"
. "$root/launch/env.sh"
flags=(-c release -Xswiftc -enable-testing --scratch-path "$root/.build-test" --package-path "$root")
swift build "${flags[@]}"
export GANTRY_BIN="$root/.build-test/release/gantry"
swift test "${flags[@]}" --disable-swift-testing "$@"
