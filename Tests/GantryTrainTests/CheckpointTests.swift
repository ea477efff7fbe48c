import XCTest
import Foundation
import Glibc
@testable import GantryTrain
import GantryNN

/// The checkpoint format round-trips and refuses damaged files with a message saying why.
final class CheckpointTests: XCTestCase {
    func makeCheckpoint() -> Checkpoint {
        let model = Architecture(.mlp)
        let g = model.makeGenerator(batch: 4), d = model.makeDiscriminator(batch: 4)
        model.initialize(g, seed: 3, substream: 0)
        model.initialize(d, seed: 3, substream: 1)
        let gAdam = Adam(parameterCount: g.parameters.count, learningRate: 1e-3)
        let dAdam = Adam(parameterCount: d.parameters.count, learningRate: 1e-3)
        for i in 0..<g.gradients.count { g.gradients[i] = Float(i % 7) - 3 }
        gAdam.update(parameters: g.parameters.pointer, gradients: g.gradients.pointer)
        let options = try! TrainingOptions.parse(["--model", "mlp", "--data", "ring8"])
        let header = CheckpointHeader(model: "mlp", dataset: "ring8", sampleShape: [2, 1, 1], noiseDimension: 2, step: 5,
                                      worldSize: 2, globalBatch: 8, sampler: SamplerPosition(epoch: 0, batchCounter: 5),
                                      random: RandomKeys(seed: 3, streams: ["noise": 1]), gantryVersion: GantryVersion.current,
                                      options: options.settings)
        return Checkpoint(header: header, generator: NetworkSnapshot(network: g, optimizer: gAdam),
                          discriminator: NetworkSnapshot(network: d, optimizer: dAdam))
    }

    func testRoundTrip() throws {
        let original = makeCheckpoint()
        let decoded = try Checkpoint.decode(try original.encode(), source: "memory")
        XCTAssertEqual(decoded.header.step, 5)
        XCTAssertEqual(decoded.header.worldSize, 2)
        XCTAssertEqual(decoded.generator.parameters, original.generator.parameters)
        XCTAssertEqual(decoded.generator.adamFirstMoment, original.generator.adamFirstMoment)
        XCTAssertEqual(decoded.generator.adamSecondMoment, original.generator.adamSecondMoment)
        XCTAssertEqual(decoded.generator.adamStep, 1)
        XCTAssertEqual(decoded.discriminator.parameters, original.discriminator.parameters)
    }

    func testDamagedFilesAreRefusedWithTheirReason() throws {
        let bytes = try makeCheckpoint().encode()
        func refusal(_ damaged: [UInt8]) -> String {
            do {
                _ = try Checkpoint.decode(damaged, source: "ck")
                return "accepted"
            } catch {
                return String(describing: error)
            }
        }
        XCTAssertTrue(refusal(Array(bytes.prefix(bytes.count / 2))).contains("truncated"))
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x10  // inside a parameter section
        XCTAssertTrue(refusal(flipped).contains("CRC32"))
        var magic = bytes
        magic[0] = UInt8(ascii: "X")
        XCTAssertTrue(refusal(magic).contains("not a Gantry checkpoint"))
        var version = bytes
        version[8] = 9
        XCTAssertTrue(refusal(version).contains("version 9"))
        var model = try Checkpoint.decode(bytes, source: "ck")
        model.header.model = "dcgan28"  // an mlp's arrays under a dcgan28 header
        XCTAssertTrue(refusal(try model.encode()).contains("inconsistent header"))
        model.header.noiseDimension = 100
        model.header.sampleShape = [1, 28, 28]
        XCTAssertTrue(refusal(try model.encode()).contains("model dcgan28 has"))
        var negative = try Checkpoint.decode(bytes, source: "ck")
        negative.header.step = -1
        XCTAssertTrue(refusal(try negative.encode()).contains("negative step"))
    }

    /// The section table's claims are checked against the file's size before the body is
    /// read; FIFOs, directories and devices are refused unread; NaN is damage.
    func testHeaderClaimsAreCheckedBeforeReading() throws {
        let directory = try temporaryDirectory("claims")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func readRefusal(_ path: String) -> String {
            do {
                _ = try CheckpointFile.read(path)
                return "accepted"
            } catch {
                return String(describing: error)
            }
        }
        let bytes = try makeCheckpoint().encode()
        // A header section whose length claims 2⁶³ bytes, and a table of 2³² − 1 sections.
        var longSection = bytes
        let lengthOffset = 16 + 2 + "header".utf8.count
        longSection.replaceSubrange(lengthOffset..<(lengthOffset + 8), with: [0, 0, 0, 0, 0, 0, 0, 0x80])
        var manySections = bytes
        manySections.replaceSubrange(12..<16, with: [0xff, 0xff, 0xff, 0xff])
        for (name, damaged, words) in [("long", longSection, ["truncated", "section header"]),
                                       ("many", manySections, ["truncated", "4294967295 sections"])] {
            let path = "\(directory)/\(name).gckpt"
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(damaged)))
            let message = readRefusal(path)
            XCTAssertTrue(words.allSatisfy(message.contains), message)
            XCTAssertThrowsError(try CheckpointFile.parse(damaged, source: path)) { XCTAssertEqual("\($0)", message) }
        }
        // A sparse 1 GB file of zeros: refused on its first bytes.
        let large = "\(directory)/large.gckpt"
        XCTAssertTrue(FileManager.default.createFile(atPath: large, contents: nil))
        XCTAssertEqual(truncate(large, 1 << 30), 0)
        XCTAssertTrue(readRefusal(large).contains("not a Gantry checkpoint"))

        let fifo = "\(directory)/step-000001.gckpt"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        for (path, kind) in [(fifo, "a FIFO"), (directory, "a directory"), ("/dev/null", "a character device")] {
            XCTAssertEqual(readRefusal(path), "cannot read \(path): it is \(kind), not a regular file")
            XCTAssertThrowsError(try AtomicFile.read(path))
        }

        var poisoned = try Checkpoint.decode(bytes, source: "ck")
        poisoned.discriminator.adamSecondMoment[3] = .infinity
        XCTAssertThrowsError(try Checkpoint.decode(try poisoned.encode(), source: "ck")) {
            XCTAssertTrue("\($0)".contains("section D.adam.v holds a non-finite value (inf at index 3)"), "\($0)")
        }
    }

    /// Versions 3 and later store the run id; a header without one (versions 1 and 2) still decodes.
    func testRunIdInTheHeader() throws {
        var checkpoint = makeCheckpoint()
        XCTAssertNil(try Checkpoint.decode(try checkpoint.encode(), source: "ck").header.runId)
        checkpoint.header.runId = RunIdentity.random()
        let encoded = try checkpoint.encode()
        XCTAssertEqual(try Checkpoint.decode(encoded, source: "ck").header.runId, checkpoint.header.runId)
        XCTAssertTrue(String(decoding: encoded, as: UTF8.self).contains("\"run_id\":\"\(checkpoint.header.runId!)\""))
        XCTAssertEqual(try CheckpointFile.parse(encoded, source: "ck").version, CheckpointFile.formatVersion)
        let ids = Set((0..<100).map { _ in RunIdentity.random() })
        XCTAssertEqual(ids.count, 100)
        XCTAssertTrue(ids.allSatisfy { $0.count == 16 && $0.allSatisfy(\.isHexDigit) })
    }

    func testAtomicWriteLeavesNoTemporaryFile() throws {
        let directory = try temporaryDirectory("ckpt")
        let path = directory + "/" + CheckpointDirectory.fileName(step: 5)
        try makeCheckpoint().write(to: path)
        XCTAssertEqual(directoryEntries(directory), ["step-000005.gckpt"])
        XCTAssertEqual(try CheckpointDirectory.resolve(directory), path)
        XCTAssertEqual(try Checkpoint.load(path).header.step, 5)
        try? FileManager.default.removeItem(atPath: directory)
    }
}
