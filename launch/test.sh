#!/usr/bin/env bash
# Runs Gantry's test suite: installs what is missing, builds optimised (multi-rank training
# tests need release speed; -enable-testing keeps @testable imports working), and runs the
# tests.
#
#   launch/test.sh              every test, including the ones that start the binary,
#                               mpirun, Slurm and the fuzzers (GantryEndToEndTests)
#   launch/test.sh --fast       the in-process tests only (layers, data, options,
#                               checkpoints, synchronisation, allocation): the quick loop
#
# Extra arguments go to swift test (e.g. --filter BadInputTests).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
selection=()
if [ "${1:-}" = --fast ]; then
    selection=(--skip GantryEndToEndTests)
    shift
fi
"$root/launch/setup.sh"
. "$root/launch/env.sh"
scratch="${GANTRY_BUILD_DIR:-$root/.build-test}"   # another folder lets two test runs go side by side
flags=(-c release -Xswiftc -enable-testing --scratch-path "$scratch" --package-path "$root")
# One build of everything, tests included, then the tests without building again: a plain
# `swift build` followed by `swift test` compiles every module twice (the two plan their
# builds differently), minutes on this machine.
swift build --build-tests "${flags[@]}"
export GANTRY_BIN="$scratch/release/gantry"
if [ ${#selection[@]} -eq 0 ]; then
    # The end-to-end tests read Gantry's files with the tools users have (TensorBoard,
    # numpy, safetensors, Chromium).
    GANTRY_TEST_PYTHON=$("$root/launch/test-tools.sh" "$scratch/python" | tail -n 1)
    export GANTRY_TEST_PYTHON
fi
swift test --skip-build "${flags[@]}" --disable-swift-testing "${selection[@]}" "$@"
