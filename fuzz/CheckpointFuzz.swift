// libFuzzer target for the checkpoint reader, Checkpoint.decode(_:source:).
//
// Any input may be refused with a thrown error; a crash, trap, hang, runaway allocation or
// sanitizer report is a bug. An input that is accepted must also survive the round trip
// encode → decode → encode with identical bytes: decode must never accept what the writer
// cannot reproduce.
//
// Checkpoint sections carry CRC32s, which random mutation almost never gets right, so the
// custom mutator below understands the container (magic, version, sections: name, length,
// CRC, payload — docs/checkpoint-format.md) and usually mutates one section's payload or
// name, or drops, duplicates or reorders sections, then rewrites lengths and CRCs. It keeps
// a stale CRC now and then, and one time in eight mutates the raw bytes instead.
//
// Each input is also written to a file and read with CheckpointFile.read, which checks the
// magic and section table against the file's size before reading the body: it must accept
// exactly what the in-memory parser accepts, with the same message. Refusals must print
// safely (no control characters from the input), and an accepted checkpoint holds only
// finite floats.
//
// Tool mode, used by fuzz/run.sh to make seeds (runs instead of fuzzing):
//   GANTRY_FUZZ_DERIVE_FROM=CHECKPOINT GANTRY_FUZZ_DERIVE_TO=DIR checkpoint-fuzzer
// writes small variants of a real checkpoint to DIR (float sections cut short, header only).
import CFuzzer
import CZlib
import GantryTrain
import Glibc

/// The section container, parsed independently of GantryTrain so that the mutator keeps
/// working whatever the sections mean. Names stay bytes: invalid UTF-8 survives mutation.
struct Container {
    struct Section {
        var name: [UInt8]
        var payload: [UInt8]
        var crc: UInt32
    }

    static let magic = Array("GANTRYCK".utf8)
    var version: UInt32
    var sections: [Section]

    /// nil unless `bytes` is exactly a well-formed container (CRCs are not checked).
    static func parse(_ bytes: [UInt8]) -> Container? {
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else { return nil }
        var offset = 8
        func integer(_ size: Int) -> UInt64? {
            guard bytes.count - offset >= size else { return nil }
            defer { offset += size }
            return (0..<size).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
        }
        func take(_ count: UInt64) -> [UInt8]? {
            guard count <= UInt64(bytes.count - offset) else { return nil }
            defer { offset += Int(count) }
            return Array(bytes[offset..<(offset + Int(count))])
        }
        guard let version = integer(4), let count = integer(4), count <= 4096 else { return nil }
        var sections: [Section] = []
        for _ in 0..<count {
            guard let nameLength = integer(2), let name = take(nameLength), let length = integer(8),
                  let crc = integer(4), let payload = take(length) else { return nil }
            sections.append(Section(name: name, payload: payload, crc: UInt32(crc)))
        }
        guard offset == bytes.count else { return nil }
        return Container(version: UInt32(version), sections: sections)
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, UInt32($0.count))) }
    }

    /// The file's bytes; with `fixingCRCs` every section gets the CRC of its payload.
    func encode(fixingCRCs: Bool) -> [UInt8] {
        var out = Self.magic
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        append(version)
        append(UInt32(sections.count))
        for section in sections {
            append(UInt16(truncatingIfNeeded: section.name.count))
            out += section.name
            append(UInt64(section.payload.count))
            append(fixingCRCs ? Self.crc32(section.payload) : section.crc)
            out += section.payload
        }
        return out
    }

    func isJSON(_ section: Section) -> Bool {
        section.payload.first == UInt8(ascii: "{") || section.payload.first == UInt8(ascii: "[")
    }
}

let scratch = makeScratchDirectory("checkpoint-fuzz")
let inputPath = scratch + "/input.gckpt"

/// The container parsed from memory and read from a file must agree: same bytes or same error.
func checkFileReading(_ bytes: [UInt8]) {
    enum Outcome: Equatable { case bytes([UInt8]), refused(String) }
    func result(_ read: () throws -> [UInt8]) -> Outcome {
        do { return .bytes(try read()) } catch { return .refused(String(describing: error)) }
    }
    writeFile(inputPath, bytes)
    let fromFile = result { try CheckpointFile.read(inputPath) }
    let parsed = result { _ = try CheckpointFile.parse(bytes, source: inputPath); return bytes }
    precondition(fromFile == parsed, "CheckpointFile.read and CheckpointFile.parse disagree: \(fromFile) vs \(parsed)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func checkpointFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    checkFileReading(bytes)
    let checkpoint: Checkpoint
    do {
        checkpoint = try Checkpoint.decode(bytes, source: "fuzz-input")
    } catch {
        let message = String(describing: error)  // the message is part of the behaviour too
        if fuzzVerbose { print("refused (\(bytes.count) bytes): \(message)") }
        precondition(!message.unicodeScalars.contains { $0.properties.generalCategory == .control },
                     "a refusal prints a control character from the input: \(message.debugDescription)")
        return 0
    }
    if fuzzVerbose { print("accepted (\(bytes.count) bytes)") }
    for network in [checkpoint.generator, checkpoint.discriminator] {
        precondition((network.parameters + network.state + network.adamFirstMoment + network.adamSecondMoment).allSatisfy(\.isFinite),
                     "accepted a checkpoint holding a NaN or an infinity")
    }
    if let average = checkpoint.generatorEMA {
        precondition((average.parameters + average.state).allSatisfy(\.isFinite), "accepted a moving average of G holding a NaN or an infinity")
    }
    let encoded: [UInt8]
    do {
        encoded = try checkpoint.encode()
    } catch {
        fatalError("Checkpoint.decode accepted a checkpoint that encode() cannot write: \(error)")
    }
    do {
        let again = try Checkpoint.decode(encoded, source: "re-encoded")
        let twice = try again.encode()
        precondition(twice == encoded, "a decoded checkpoint does not round-trip: re-encoding changed \(encoded.count) → \(twice.count) bytes")
    } catch {
        fatalError("Checkpoint.decode refuses what encode() wrote for a checkpoint it accepted: \(error)")
    }
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
public func checkpointFuzzMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    var random = SplitMix64(seed: UInt64(seed))
    if random.below(8) != 0,
       var container = Container.parse(Array(UnsafeBufferPointer(start: data, count: size))),
       !container.sections.isEmpty {
        let count = container.sections.count
        let i = random.below(count)
        switch random.below(16) {
        case 0:
            container.sections.remove(at: i)
        case 1:
            container.sections.insert(container.sections[i], at: random.below(count + 1))
        case 2:
            container.sections.swapAt(i, random.below(count))
        case 3:
            let name = container.sections[i].name
            container.sections[i].name = libFuzzerMutate(name, maxSize: min(64, maxSize - size + name.count), &random)
        case 4:
            container.version = random.below(4) == 0 ? UInt32(truncatingIfNeeded: random.next()) : UInt32(random.below(Int(CheckpointFile.formatVersion) + 1))
        default:
            let payload = container.sections[i].payload
            container.sections[i].payload = libFuzzerMutate(payload, maxSize: maxSize - size + payload.count, &random)
        }
        let out = container.encode(fixingCRCs: random.below(16) != 0)
        if out.count <= maxSize { return emit(out, into: data) }
    }
    return LLVMFuzzerMutate(data, size, maxSize)
}

@_cdecl("LLVMFuzzerInitialize")
public func checkpointFuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    if let from = environment("GANTRY_FUZZ_DERIVE_FROM"), let directory = environment("GANTRY_FUZZ_DERIVE_TO") {
        deriveSeeds(from: from, to: directory)
        fflush(stdout)
        _exit(0)  // not exit(): LeakSanitizer would count the live locals of this frame as leaks
    }
    atexit {
        unlink(inputPath)
        rmdir(scratch)
    }
    return 0
}

/// Small variants of a real checkpoint, cheap to run and mutate, that still reach the
/// deep checks: the float arrays cut to one value (fails the size check against the model),
/// the float arrays empty, and the header section alone.
func deriveSeeds(from path: String, to directory: String) {
    guard let bytes = readFile(path), let container = Container.parse(bytes) else {
        fputs("checkpoint-fuzzer: \(path) is not a checkpoint container; no seeds derived\n", stderr)
        exit(1)
    }
    func cut(_ keep: Int) -> Container {
        var copy = container
        for i in copy.sections.indices where !copy.isJSON(copy.sections[i]) && copy.sections[i].payload.count > 8 {
            copy.sections[i].payload = Array(copy.sections[i].payload.prefix(keep))
        }
        return copy
    }
    var headerOnly = container
    headerOnly.sections = Array(container.sections.prefix(1))
    let variants = [("derived-one-float", cut(4)), ("derived-empty-arrays", cut(0)), ("derived-header-only", headerOnly)]
    for (name, variant) in variants {
        writeFile("\(directory)/\(name)", variant.encode(fixingCRCs: true))
    }
    print("checkpoint-fuzzer: derived \(variants.count) seeds from \(path) (\(bytes.count) bytes, \(container.sections.count) sections)")
}
