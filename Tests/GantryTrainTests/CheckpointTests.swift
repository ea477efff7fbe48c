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
