import ArgumentParser
import GantryData
import GantryTrain

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a checkpoint holds: configuration, step, world size, G's moving average, sections and their CRC status.",
        discussion: "Exits 1 when the file is unreadable, any section fails its CRC32 check, or a network holds a NaN or an infinity.")

    @Argument(help: "A checkpoint file, or a run directory (its newest checkpoint).")
    var checkpoint: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let path = try CheckpointDirectory.resolve(checkpoint)
        // The magic and section table are checked against the file's size first: a FIFO or a
        // large file of another kind is refused without being read.
        let bytes = try Checkpoint.read(path)
        let file = try CheckpointFile.parse(bytes, source: path)
        let header = file.section("header").flatMap { try? JSONCoding.decode(CheckpointHeader.self, from: $0.payload) }
        let valid = file.sections.allSatisfy(\.crcIsValid)
        // A full decode also checks sizes against the model; report its verdict.
        let verdict: String
        var decoded: Checkpoint?
        do {
            decoded = try Checkpoint.decode(bytes, source: path)
            verdict = "valid"
        } catch {
            verdict = String(describing: error)
        }
        let average = decoded.flatMap { checkpoint in
            checkpoint.generatorEMA.map { (halfLifeKimg: (try? checkpoint.header.trainingOptions(source: path))?.gEmaKimg, images: $0.images) }
        }
        if json {
            try printJSON(path: path, bytes: bytes, file: file, header: header, verdict: verdict, average: average)
        } else {
            printText(path: path, bytes: bytes, file: file, header: header, verdict: verdict, average: average)
        }
        if !valid || verdict != "valid" { throw ExitCode.failure }
    }

    /// G's moving average as inspect shows it: its half-life (from the header's options) and
    /// the images it has averaged.
    typealias Average = (halfLifeKimg: Double?, images: Int)

    private func printText(path: String, bytes: [UInt8], file: CheckpointFile, header: CheckpointHeader?, verdict: String,
                           average: Average?) {
        print("\(path): \(bytes.count) bytes, format version \(file.version), \(verdict)")
        if let header, let options = try? header.trainingOptions(source: path) {
            print("""
              model \(printable(header.model)), dataset \(printable(header.dataset)), sample shape \(header.sampleShape.map(String.init).joined(separator: "x")), z \(header.noiseDimension)
              step \(header.step), epoch \(header.sampler.epoch), batches drawn \(header.sampler.batchCounter)
              saved by \(header.worldSize) rank\(header.worldSize == 1 ? "" : "s"), global batch \(header.globalBatch), seed \(header.random.seed) (\(header.random.generator))
              lr G \(options.lrG), lr D \(options.lrD)\(options.lrDecay == .none ? "" : " (\(options.lrDecay.rawValue) decay from \(options.lrDecayStart) of the steps)"), betas (\(options.beta1), \(options.beta2)), d-steps \(options.dSteps), g-loss \(options.gLoss.rawValue)
              networks \(ModelKind(rawValue: header.model).map { Architecture($0, options: options).summary } ?? "of an unknown model")
              written by Gantry \(printable(header.gantryVersion))\(header.runId.map { ", run \(printable($0))" } ?? "")
              G's moving average: \(average.map { "half-life \($0.halfLifeKimg.map { "\($0)" } ?? "?") kimg, \($0.images) images averaged" } ?? "none")
            """)
        } else {
            print("  header unreadable")
        }
        print("  sections:")
        for section in file.sections {
            let status = section.crcIsValid ? "CRC ok" : "CRC MISMATCH (stored \(hexadecimal(section.storedCRC)), computed \(hexadecimal(section.computedCRC)))"
            let name = printable(section.name)
            print("    \(name)\(String(repeating: " ", count: max(0, 16 - name.count))) \(String(section.payload.count).rightAligned(10)) bytes  \(status)")
        }
    }

    private func printJSON(path: String, bytes: [UInt8], file: CheckpointFile, header: CheckpointHeader?, verdict: String,
                           average: Average?) throws {
        var object: [String: JSONValue] = [
            "path": .string(path), "bytes": .integer(bytes.count), "format_version": .integer(Int(file.version)),
            "valid": .bool(verdict == "valid"), "verdict": .string(verdict),
            "sections": .array(file.sections.map {
                .object(["name": .string($0.name), "bytes": .integer($0.payload.count), "crc_ok": .bool($0.crcIsValid)])
            }),
            "g_ema": average.map { .object(["half_life_kimg": $0.halfLifeKimg.map(JSONValue.number) ?? .null, "images": .integer($0.images)]) } ?? .null,
        ]
        if let header, let headerSection = file.section("header") {
            object["header"] = try JSONValue(parsing: headerSection.payload)
            object["step"] = .integer(header.step)
            object["world_size"] = .integer(header.worldSize)
        }
        print(String(decoding: try JSONValue.object(object).encoded(pretty: true), as: UTF8.self))
    }
}
