import XCTest
@testable import GantryTrain
import GantryNN

/// The checkpoint format round-trips and refuses damaged files with a message saying why.
final class CheckpointTests: XCTestCase {
    func makeCheckpoint() -> Checkpoint {
        let model = ModelKind.mlp
        let g = model.makeGenerator(batch: 4), d = model.makeDiscriminator(batch: 4)
        model.initialize(g, seed: 3, substream: 0)
        model.initialize(d, seed: 3, substream: 1)
        let gAdam = Adam(parameterCount: g.parameters.count, learningRate: 1e-3)
        let dAdam = Adam(parameterCount: d.parameters.count, learningRate: 1e-3)
        for i in 0..<g.gradients.count { g.gradients[i] = Float(i % 7) - 3 }
        gAdam.update(parameters: g.parameters.pointer, gradients: g.gradients.pointer)
        var options = TrainingOptions()
        options.model = "mlp"
        options.data = "ring8"
        let header = CheckpointHeader(model: "mlp", dataset: "ring8", sampleShape: [2, 1, 1], noiseDimension: 2, step: 5,
                                      epoch: 0, worldSize: 2, globalBatch: 8, seed: 3, gantryVersion: GantryVersion.current,
                                      options: options)
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
        flipped[bytes.count - 10] ^= 0x10
        XCTAssertTrue(refusal(flipped).contains("CRC32"))
        var magic = bytes
        magic[0] = UInt8(ascii: "X")
        XCTAssertTrue(refusal(magic).contains("not a Gantry checkpoint"))
        var version = bytes
        version[8] = 9
        XCTAssertTrue(refusal(version).contains("version 9"))
    }

    func testAtomicWriteLeavesNoTemporaryFile() throws {
        let directory = try temporaryDirectory("ckpt")
        let path = directory + "/" + Checkpoint.fileName(step: 5)
        try makeCheckpoint().write(to: path)
        XCTAssertEqual(directoryEntries(directory), ["step-000005.gckpt"])
        XCTAssertEqual(try Checkpoint.resolve(directory), path)
        XCTAssertEqual(try Checkpoint.load(path).header.step, 5)
        try? FileManager.default.removeItem(atPath: directory)
    }
}
