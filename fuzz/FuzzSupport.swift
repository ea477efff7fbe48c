// Shared by the fuzz targets (compiled into each fuzzer by fuzz/run.sh): input handling,
// files, a small seeded random generator and a structure-aware mutation helper.
import CFuzzer
import Glibc

/// libFuzzer's input as an array (libFuzzer may pass a null pointer for an empty input).
func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// GANTRY_FUZZ_VERBOSE=1: print what each input did (useful with `fuzzer FILE…`, which
/// runs the given inputs once).
let fuzzVerbose = getenv("GANTRY_FUZZ_VERBOSE") != nil

/// What a reader did with an input: its value, or the refusal it threw, an `E` (whose
/// description is built, which must not trap either). Throwing anything else is a bug.
func reading<Value, E: Error>(_ read: () throws -> Value, refusal: E.Type) -> Result<Value, E> {
    do {
        return .success(try read())
    } catch let error as E {
        _ = "\(error)"
        return .failure(error)
    } catch {
        fatalError("the reader threw something other than a \(E.self): \(error)")
    }
}

/// Tool mode, from LLVMFuzzerInitialize: with GANTRY_FUZZ_WRITE_SEEDS=DIR set, `write`
/// the target's seeds to DIR and exit instead of fuzzing.
func writeSeedsIfAsked(_ write: (String) -> Void) {
    guard let directory = environment("GANTRY_FUZZ_WRITE_SEEDS") else { return }
    write(directory)
    fflush(stdout)
    _exit(0)  // not exit(): LeakSanitizer would count the live locals of this frame as leaks
}

func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

/// Writes `bytes` to `path` (replacing it); traps on failure, which is the harness's fault.
func writeFile(_ path: String, _ bytes: [UInt8]) {
    guard let file = fopen(path, "wb") else { fatalError("fuzz harness: cannot write \(path)") }
    if !bytes.isEmpty { precondition(fwrite(bytes, 1, bytes.count, file) == bytes.count, "fuzz harness: short write to \(path)") }
    precondition(fclose(file) == 0, "fuzz harness: cannot close \(path)")
}

func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let got = fread(&chunk, 1, chunk.count, file)
        bytes += chunk[0..<got]
        if got < chunk.count { return bytes }
    }
}

/// A private directory under $TMPDIR (or /tmp) for files the harness writes per input,
/// removed when the fuzzer exits normally.
func makeScratchDirectory(_ label: String) -> String {
    let base = environment("TMPDIR") ?? "/tmp"
    var template = Array("\(base)/gantry-\(label)-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { fatalError("fuzz harness: mkdtemp in \(base) failed") }
    return String(cString: made)
}

/// SplitMix64: the custom mutators' choices, reproducible from libFuzzer's seed.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in 0..<bound (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Applies libFuzzer's own mutations (bit flips, insertions, dictionary words, …) to
/// `bytes`, letting it grow to at most `maxSize` bytes.
func libFuzzerMutate(_ bytes: [UInt8], maxSize: Int, _ random: inout SplitMix64) -> [UInt8] {
    let limit = max(maxSize, 1)
    var buffer = bytes.isEmpty ? [UInt8(truncatingIfNeeded: random.next())] : bytes
    let size = min(buffer.count, limit)
    buffer += [UInt8](repeating: 0, count: max(0, limit - buffer.count))
    let produced = buffer.withUnsafeMutableBufferPointer { LLVMFuzzerMutate($0.baseAddress!, size, limit) }
    return Array(buffer[0..<min(produced, limit)])
}

/// Copies a mutator's result into libFuzzer's buffer; returns its size.
func emit(_ bytes: [UInt8], into data: UnsafeMutablePointer<UInt8>) -> Int {
    bytes.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: $0.count) }
    return bytes.count
}
