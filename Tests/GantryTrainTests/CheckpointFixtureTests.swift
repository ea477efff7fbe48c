import XCTest
@testable import GantryTrain
import GantryNN

/// Checkpoints written by earlier Gantry versions keep loading (Tests/Fixtures/README.md):
/// every format change must keep these tests passing.
final class CheckpointFixtureTests: XCTestCase {
    /// Tests/Fixtures, from this file's path (Tests/GantryTrainTests/…).
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    func testVersion010MLPCheckpointLoads() throws {
        let path = Self.fixtures + "/v0.1.0/mlp-ring8/checkpoints/step-000020.gckpt"
        let checkpoint = try Checkpoint.load(path)
        XCTAssertEqual(checkpoint.header.model, "mlp")
        XCTAssertEqual(checkpoint.header.step, 20)
        XCTAssertEqual(checkpoint.header.globalBatch, 64)
        XCTAssertEqual(checkpoint.header.sampler.batchCounter, 20)
        let options = try checkpoint.header.trainingOptions(source: path)
        XCTAssertEqual(options.data, "ring8")
        XCTAssertEqual(options.checkpointEvery, 10)
        XCTAssertEqual(options.lrG, 2e-4)
        XCTAssertEqual(checkpoint.recentMetrics.last?.step, 20)
    }

    /// The dcgan28 fixture holds the header and metrics sections of a v0.1.0 dcgan28
    /// checkpoint (its parameters, 15 MB, are not committed): with parameters of the right
    /// size they decode as a whole checkpoint.
    func testVersion010DCGANHeaderLoads() throws {
        let checkpoint = try Self.dcgan28Checkpoint()
        XCTAssertEqual(checkpoint.header.model, "dcgan28")
        XCTAssertEqual(checkpoint.header.sampleShape, [1, 28, 28])
        XCTAssertEqual(checkpoint.header.noiseDimension, 100)
        XCTAssertEqual(try checkpoint.header.trainingOptions(source: "fixture").batch, 8)
        XCTAssertEqual(checkpoint.recentMetrics.count, 2)
    }

    /// The v0.1.0 dcgan28 checkpoint resumes: its options merge with new flags, the plan
    /// accepts them, and the trainer takes a step from step 2.
    func testVersion010DCGANCheckpointResumes() throws {
        let checkpoint = try Self.dcgan28Checkpoint()
        let given = try TrainingOptions.parse(["--steps", "3"])
        let (options, changed) = try checkpoint.header.resumedOptions(given: given, source: "fixture") {
            try TrainingOptions.parse($0 + ["--steps", "3"])
        }
        XCTAssertEqual(changed, ["steps": "3"])
        XCTAssertEqual(options.globalBatch, 8)
        let communicator = try XCTUnwrap(GradientSynchronizerTests.communicator)
        let plan = try TrainingPlan(options: options, worldSize: communicator.size)
        let trainer = try Trainer(plan: plan, communicator: communicator, output: nil, resumingFrom: checkpoint)
        XCTAssertEqual(trainer.step, 2)
        let losses = try trainer.trainOneIteration()
        XCTAssertTrue(losses.lossD.isFinite && losses.lossG.isFinite, "\(losses)")
    }

    /// The v0.1.0 dcgan28 header and metrics around freshly initialised networks.
    static func dcgan28Checkpoint() throws -> Checkpoint {
        let directory = fixtures + "/v0.1.0/dcgan28-glyphs"
        let header = try AtomicFile.read(directory + "/header.json"), metrics = try AtomicFile.read(directory + "/metrics.json")
        let model = Architecture(.dcgan28)
        var sections: [(name: String, payload: [UInt8])] = [("header", header)]
        for (prefix, network) in [("G", model.makeGenerator(batch: 2)), ("D", model.makeDiscriminator(batch: 2))] {
            model.initialize(network, seed: 1, substream: prefix == "G" ? 0 : 1)
            let snapshot = NetworkSnapshot(network: network, optimizer: Adam(parameterCount: network.parameters.count, learningRate: 2e-4))
            sections += [("\(prefix).parameters", Checkpoint.bytes(of: snapshot.parameters)),
                         ("\(prefix).state", Checkpoint.bytes(of: snapshot.state)),
                         ("\(prefix).adam.step", Checkpoint.bytes(of: [Int64(2)])),
                         ("\(prefix).adam.m", Checkpoint.bytes(of: snapshot.adamFirstMoment)),
                         ("\(prefix).adam.v", Checkpoint.bytes(of: snapshot.adamSecondMoment))]
        }
        sections.append(("metrics", metrics))
        return try Checkpoint.decode(CheckpointFile.encode(sections), source: directory)
    }
}
