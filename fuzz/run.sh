#!/usr/bin/env bash
# Builds Gantry's libFuzzer targets and runs them: fuzz/run.sh [checkpoint|idx|cifar|jpeg|pack|all] [SECONDS]
#
#   checkpoint  Checkpoint.decode (GantryTrain), fuzz/CheckpointFuzz.swift
#   idx         the MNIST IDX readers, images and labels (GantryData), fuzz/IDXFuzz.swift
#   cifar       the CIFAR-10 batch reader (GantryData), fuzz/CIFARFuzz.swift
#   jpeg        the JPEG reader (GantryData over libjpeg-turbo, CJPEGCodec), fuzz/JPEGFuzz.swift
#   pack        the pack reader (GantryData's PackLayout, PackedImages), fuzz/PackFuzz.swift
#   all         all five, one after the other (the default); SECONDS (default 60) is per target
#
# The module sources are compiled straight with swiftc (no SwiftPM) into .build-fuzz/, with
# libFuzzer's coverage instrumentation on GantryData and GantryTrain and AddressSanitizer on
# everything; rebuilt only when a source, this script or the compiler changes. Seeds: the
# hand-picked inputs in fuzz/corpus/TARGET plus generated ones (a real checkpoint written by
# `gantry train` if a binary is found, small IDX files raw and gzip, small CIFAR-10 batches). The corpus libFuzzer
# grows, its logs and any crashing inputs go to fuzz/out/ (not in git).
#
# Exits 1 if a target found a crash, hang, out-of-memory or sanitizer report (and prints the
# input's path and how to reproduce), 2 on a usage or build error.
#
# Environment: GANTRY_BIN (the gantry binary for the checkpoint seed; default: the newest of
# .build-test/release, .build/release), GANTRY_FUZZ_OUT (instead of fuzz/out),
# GANTRY_FUZZ_BUILD (instead of .build-fuzz), GANTRY_FUZZ_ASAN=0 (coverage only, no
# AddressSanitizer), GANTRY_FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=2").
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${1:-all}
seconds=${2:-60}
case "$target" in
    checkpoint) targets=(checkpoint) ;;
    idx|cifar|jpeg|pack) targets=("$target") ;;
    all) targets=(checkpoint idx cifar jpeg pack) ;;
    *) echo "usage: fuzz/run.sh [checkpoint|idx|cifar|jpeg|pack|all] [SECONDS]" >&2; exit 2 ;;
esac
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "fuzz/run.sh: SECONDS must be a positive integer, got '$seconds'" >&2
    exit 2
fi

build=${GANTRY_FUZZ_BUILD:-$root/.build-fuzz}
out=${GANTRY_FUZZ_OUT:-$root/fuzz/out}
mkdir -p "$build" "$out"
build=$(cd "$build" && pwd)
out=$(cd "$out" && pwd)

"$root/launch/setup.sh"
. "$root/launch/env.sh"

# ---------------------------------------------------------------------------------------
# Build

if [ "${GANTRY_FUZZ_ASAN:-1}" = 0 ]; then asan=(); fuzz_asan=fuzzer; else asan=(-sanitize=address); fuzz_asan=fuzzer,address; fi

build_fuzzers() {
    local src="$root/Sources" mods="$build/modules" obj="$build/objects" bin="$build/bin"
    local include=(-I "$mods" -I "$src/CBLAS" -I "$src/CMPI" -I "$src/CHalf/include" -I "$src/CPUInfo/include" -I "$build/cmodules/CWorkerPool" -I "$build/cmodules/COneDNN"
                   -I "$src/CPNG" -I "$src/CZlib" -I "$src/CJPEG" -I "$src/CJPEGCodec/include" -I "$root/fuzz/CFuzzer")
    local flag
    for flag in $(pkg-config --cflags-only-I ompi openblas libpng zlib libjpeg); do include+=(-Xcc "$flag"); done
    local libs=()
    for flag in $(pkg-config --libs-only-L ompi openblas libpng zlib libjpeg); do libs+=("$flag"); done
    local common=(-swift-version 5 -O -g -parse-as-library "${include[@]}")
    # GantryTrain declares its options with swift-argument-parser: its sources, where SwiftPM
    # resolves them (the local package mirror), compiled as modules of their own.
    swift package resolve --package-path "$root" --scratch-path "$build/packages" >/dev/null || return 1
    local parser="$build/packages/checkouts/swift-argument-parser/Sources"
    sources() { find "$1" -name '*.swift' | LC_ALL=C sort; }

    # The stamp: everything the binaries depend on.
    local stamp
    stamp=$( { swiftc --version 2>&1; echo "$fuzz_asan ${common[*]} ${libs[*]}";
               cat "$root/fuzz/run.sh" "$root"/fuzz/*.swift "$root"/fuzz/CFuzzer/* \
                   $(for module in GantryNN GantryMPI GantryData GantryTrain; do sources "$src/$module"; done) \
                   $(sources "$parser/ArgumentParserToolInfo") $(sources "$parser/ArgumentParser") \
                   "$src"/CHalf/*.c "$src"/CHalf/include/* "$src"/CJPEGCodec/*.c "$src"/CJPEGCodec/include/* \
                   "$src"/CPUInfo/*.c "$src"/CPUInfo/include/* "$src"/CWorkerPool/*.c "$src"/CWorkerPool/include/* \
                   "$src"/COneDNN/*.c "$src"/COneDNN/include/*; } \
             | sha256sum | cut -d' ' -f1)
    if [ -x "$bin/checkpoint-fuzzer" ] && [ -x "$bin/idx-fuzzer" ] && [ -x "$bin/cifar-fuzzer" ] && [ -x "$bin/jpeg-fuzzer" ] \
        && [ -x "$bin/pack-fuzzer" ] && [ "$(cat "$build/stamp" 2>/dev/null)" = "$stamp" ]; then
        echo "fuzz: fuzzers up to date in $bin"
        return
    fi
    echo "fuzz: building the fuzzers in $build (sanitizers: $fuzz_asan)"
    rm -rf "$mods" "$obj" "$bin" "$build/stamp"
    mkdir -p "$mods" "$obj" "$bin" || return 1
    local start=$SECONDS
    # GantryMPI's C kernels (fp16), compiled as SwiftPM does.
    echo "fuzz:   clang CHalf"
    clang -O3 -I "$src/CHalf/include" -c "$src/CHalf/half.c" -o "$obj/CHalf.o" || return 1
    # GantryNN's C parts: the CPU's features and FMA loop, the worker pool's closure calls,
    # the oneDNN glue. SwiftPM writes the module maps of CWorkerPool and COneDNN itself (their
    # include/ holds only the header); COneDNN's also links oneDNN, as Package.swift does.
    echo "fuzz:   clang CPUInfo CWorkerPool COneDNN"
    clang -O3 -I "$src/CPUInfo/include" -c "$src/CPUInfo/cpuinfo.c" -o "$obj/CPUInfo.o" || return 1
    clang -O2 -I "$src/CWorkerPool/include" -c "$src/CWorkerPool/part_body.c" -o "$obj/CWorkerPool.o" || return 1
    clang -O2 -I "$src/COneDNN/include" -c "$src/COneDNN/onednn_convolution.c" -o "$obj/COneDNN.o" || return 1
    mkdir -p "$build/cmodules/CWorkerPool" "$build/cmodules/COneDNN" || return 1
    printf 'module CWorkerPool {\n    header "%s"\n    export *\n}\n' "$src/CWorkerPool/include/CWorkerPool.h" \
        > "$build/cmodules/CWorkerPool/module.modulemap" || return 1
    printf 'module COneDNN {\n    header "%s"\n    link "dnnl"\n    link "gomp"\n    export *\n}\n' \
        "$src/COneDNN/include/COneDNN.h" > "$build/cmodules/COneDNN/module.modulemap" || return 1
    # The JPEG codec's C side (libjpeg calls, setjmp) is code under test: coverage and ASan.
    echo "fuzz:   clang CJPEGCodec"
    clang -O2 -g -fsanitize=fuzzer-no-link${asan:+,address} -I "$src/CJPEGCodec/include" -c "$src/CJPEGCodec/jpeg_codec.c" \
        -o "$obj/CJPEGCodec.o" || return 1
    # argument-parser, in its own language mode, without sanitizers (it is not under test).
    for module in ArgumentParserToolInfo ArgumentParser; do
        echo "fuzz:   swiftc $module"
        mapfile -t files < <(sources "$parser/$module")
        swiftc -swift-version 6 -O -parse-as-library -I "$mods" -wmo -module-name "$module" \
            -emit-module -emit-module-path "$mods/$module.swiftmodule" \
            -c "${files[@]}" -o "$obj/$module.o" || return 1
    done
    # module, sanitizers: coverage only where the code under test lives.
    local spec module sanitize files
    for spec in GantryNN:"${asan[*]}" GantryMPI:"${asan[*]}" GantryData:-sanitize=$fuzz_asan GantryTrain:-sanitize=$fuzz_asan; do
        module=${spec%%:*}
        sanitize=${spec#*:}
        echo "fuzz:   swiftc $module ($sanitize)"
        mapfile -t files < <(sources "$src/$module")
        swiftc "${common[@]}" $sanitize -wmo -module-name "$module" \
            -emit-module -emit-module-path "$mods/$module.swiftmodule" \
            -c "${files[@]}" -o "$obj/$module.o" || return 1
    done
    # The harnesses are compiled without coverage (so their own branches do not count as
    # coverage) and linked with libFuzzer's runtime, which brings main().
    local name file objects
    for name in checkpoint idx cifar jpeg pack; do
        case $name in
            checkpoint) file=CheckpointFuzz.swift; objects=("$obj"/GantryNN.o "$obj"/CPUInfo.o "$obj"/CWorkerPool.o "$obj"/COneDNN.o "$obj"/CHalf.o "$obj"/GantryMPI.o "$obj"/GantryData.o "$obj"/CJPEGCodec.o
                                                             "$obj"/ArgumentParserToolInfo.o "$obj"/ArgumentParser.o "$obj"/GantryTrain.o) ;;
            idx) file=IDXFuzz.swift; objects=("$obj"/GantryData.o "$obj"/CJPEGCodec.o) ;;
            cifar) file=CIFARFuzz.swift; objects=("$obj"/GantryData.o "$obj"/CJPEGCodec.o) ;;
            jpeg) file=JPEGFuzz.swift; objects=("$obj"/GantryData.o "$obj"/CJPEGCodec.o) ;;
            pack) file=PackFuzz.swift; objects=("$obj"/GantryData.o "$obj"/CJPEGCodec.o) ;;
        esac
        echo "fuzz:   swiftc $name-fuzzer"
        swiftc "${common[@]}" "${asan[@]}" -wmo -module-name "${file%.swift}" \
            -c "$root/fuzz/$file" "$root/fuzz/FuzzSupport.swift" -o "$obj/$name-harness.o" || return 1
        swiftc -sanitize=$fuzz_asan "$obj/$name-harness.o" "${objects[@]}" "${libs[@]}" \
            -o "$bin/$name-fuzzer" 2> >(grep -v "Cannot export local symbol '__asan" >&2) || return 1
    done
    echo "$stamp" > "$build/stamp" || return 1
    echo "fuzz: built in $((SECONDS - start)) s"
}

(
    flock 9
    if ! build_fuzzers; then
        echo "fuzz: the build failed" >&2
        exit 2
    fi
) 9>"$build/.lock"
bin="$build/bin"

# ---------------------------------------------------------------------------------------
# Seeds

seed_checkpoint() {
    local seeds="$out/seeds/checkpoint"
    rm -rf "$seeds"
    mkdir -p "$seeds"
    local gantry=${GANTRY_BIN:-}
    if [ -z "$gantry" ]; then
        gantry=$(ls -t "$root/.build-test/release/gantry" "$root/.build/release/gantry" 2>/dev/null | head -n 1 || true)
    fi
    if [ -z "$gantry" ] || [ ! -x "$gantry" ]; then
        echo "fuzz: no gantry binary (set GANTRY_BIN or swift build -c release): seeding with fuzz/corpus/checkpoint only"
        return
    fi
    local run
    run=$(mktemp -d "${TMPDIR:-/tmp}/gantry-fuzz-seed-XXXXXX")
    if timeout -k 5 120 "$gantry" train --model mlp --data ring8 --steps 2 --g-ema-kimg 1 --out "$run/run" >"$run/log" 2>&1 \
        && ckpt=$(ls "$run/run/checkpoints/"*.gckpt 2>/dev/null | tail -n 1) && [ -n "$ckpt" ]; then
        cp "$ckpt" "$seeds/real-mlp-step2.gckpt"
        echo "fuzz: seed checkpoint written by $gantry"
        GANTRY_FUZZ_DERIVE_FROM="$seeds/real-mlp-step2.gckpt" GANTRY_FUZZ_DERIVE_TO="$seeds" "$bin/checkpoint-fuzzer" \
            2>&1 | sed 's/^/fuzz: /' || echo "fuzz: could not derive small seeds from it" >&2
    else
        echo "fuzz: $gantry train failed, no generated checkpoint seed:" >&2
        tail -n 5 "$run/log" >&2 || true
    fi
    rm -rf "$run"
}

# The idx, jpeg and pack fuzzers write their own seeds (GANTRY_FUZZ_WRITE_SEEDS).
seed_written() {
    local seeds="$out/seeds/$1"
    rm -rf "$seeds"
    mkdir -p "$seeds"
    if ! GANTRY_FUZZ_WRITE_SEEDS="$seeds" "$bin/$1-fuzzer" 2>&1 | sed 's/^/fuzz: /'; then
        echo "fuzz: $1-fuzzer could not write its seeds" >&2
        exit 2
    fi
}
seed_idx() { seed_written idx; }
seed_jpeg() { seed_written jpeg; }
seed_pack() { seed_written pack; }
seed_cifar() { seed_written cifar; }

# ---------------------------------------------------------------------------------------
# Runs

# The IDX harness writes each input to files: tmpfs (/dev/shm) doubles its speed.
scratch=${TMPDIR:-/tmp}
if [ -d /dev/shm ] && [ -w /dev/shm ]; then scratch=/dev/shm; fi

failed=0
summaries=()
for name in "${targets[@]}"; do
    "seed_$name"
    corpus="$out/corpus/$name" artifacts="$out/artifacts/$name" log="$out/logs/$name.log"
    mkdir -p "$corpus" "$artifacts" "$out/logs" "$root/fuzz/corpus/$name"
    echo "fuzz: running $name for $seconds s (log: $log)"
    status=0
    # shellcheck disable=SC2086
    TMPDIR=$scratch SWIFT_BACKTRACE=enable=no timeout -k 10 $((seconds + 300)) "$bin/$name-fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" -dict="$root/fuzz/$name.dict" ${GANTRY_FUZZ_ARGS:-} \
        "$corpus" "$out/seeds/$name" "$root/fuzz/corpus/$name" >"$log" 2>&1 || status=$?

    final_stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
    runs=$(final_stat number_of_executed_units) rate=$(final_stat average_exec_per_sec) rss=$(final_stat peak_rss_mb)
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
    crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | grep -v '/slow-unit-' | tail -n 1 || true)
    if [ "$status" -ne 0 ] || [ -n "$crash" ]; then
        failed=1
        result="FAILED (exit $status)"
        echo "fuzz: $name FAILED (exit status $status); the end of its log:" >&2
        grep -E 'ERROR|Fatal error|fatal error|runtime failure|Precondition|SUMMARY|deadly signal|out-of-memory|timeout|#[0-9]+ 0x' "$log" \
            | head -n 30 >&2 || true
        tail -n 15 "$log" >&2
        if [ -n "$crash" ]; then
            result="$result; crashing input: $crash"
            echo "fuzz: crashing input: $crash" >&2
            echo "fuzz: reproduce with: SWIFT_BACKTRACE=enable=no GANTRY_FUZZ_VERBOSE=1 $bin/$name-fuzzer $crash" >&2
        fi
    else
        result="no crashes"
    fi
    summary="$name: ${runs:-?} executions in $seconds s (${rate:-?} exec/s), coverage ${cov:-?} edges, ${ft:-?} features, corpus ${corp:-?} inputs, peak RSS ${rss:-?} MB: $result"
    echo "fuzz: $summary"
    summaries+=("$summary")
done

echo "fuzz: summary"
for summary in "${summaries[@]}"; do echo "fuzz:   $summary"; done
exit $failed
