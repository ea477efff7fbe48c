import XCTest
import Foundation
@testable import GantryTrain
import GantryNN

/// `--g-ema-kimg`: the moving average of G against a hand computation (warm-up included),
/// in the trainer, in checkpoints and across a resume (docs/ema.md).
final class GeneratorEMATests: XCTestCase {
    /// β = 0.5^(B / h), h = min(H·1000, 0.05·images): worked out by hand for B = 64, H = 1.
    func testBetaFollowsTheHalfLifeAfterTheWarmUp() {
        func beta(_ images: Int) -> Double { GeneratorEMA.beta(halfLifeKimg: 1, images: images, globalBatch: 64) }
        XCTAssertEqual(beta(0), 0)                                   // h = 0: the first step copies G
        XCTAssertEqual(beta(64), pow(0.5, 20), accuracy: 1e-15)      // h = 3.2 images
        XCTAssertEqual(beta(1280), 0.5, accuracy: 1e-15)             // h = 64 images, one global batch
        XCTAssertEqual(beta(2560), 0.5.squareRoot(), accuracy: 1e-15) // h = 128
        XCTAssertEqual(beta(20_000), beta(1_000_000))                // from 0.05·images = 1000 on, h is H·1000
        XCTAssertEqual(beta(40_000), 0.956_608_158_091_874_3, accuracy: 1e-15)  // 0.5^(64/1000)
    }

    func testHalfLifeMustBeZeroOrPositive() {
        for value in ["-1", "nan", "inf"] {
            XCTAssertThrowsError(try TrainingOptions.parse(["--g-ema-kimg", value])) {
                XCTAssertTrue("\($0)".contains("--g-ema-kimg must be 0"), "\($0)")
            }
        }
        XCTAssertEqual(TrainingOptions.defaults.gEmaKimg, 0)
    }

    /// The update averages parameters and BatchNorm running statistics alike (dcgan28's G
    /// has both), and counts the images.
    func testUpdateMovesParametersAndRunningStatisticsTowardsG() throws {
        let model = Architecture(.dcgan28), generator = model.makeGenerator(batch: 2)
        model.initialize(generator, seed: 4, substream: 0)
        let fresh = GeneratorEMA(halfLifeKimg: 1, copying: generator)
        XCTAssertEqual(fresh.parameters.array, generator.parameters.array)
        XCTAssertEqual(fresh.state.array, generator.state.array)
        XCTAssertGreaterThan(fresh.state.count, 0)

        // An average 1280 images in (β = 0.5 for B = 64), whose values are e0[i] = i mod 5.
        let start = GeneratorEMASnapshot(parameters: (0..<generator.parameters.count).map { Float($0 % 5) },
                                         state: (0..<generator.state.count).map { Float($0 % 5) }, images: 1280)
        let average = GeneratorEMA(halfLifeKimg: 1, restoring: start)
        generator.parameters.load([Float](repeating: 1, count: generator.parameters.count))
        generator.state.load([Float](repeating: 1, count: generator.state.count))
        average.update(towards: generator, globalBatch: 64)
        XCTAssertEqual(average.images, 1344)
        for buffer in [average.parameters, average.state] {
            for i in [0, 1, 2, 3, 4, buffer.count - 1] {
                XCTAssertEqual(buffer[i], 1 + 0.5 * (Float(i % 5) - 1), "index \(i) after β = 0.5")
            }
        }
        // The next step: h = 0.05·1344 = 67.2 images, towards G = 3.
        let beta = pow(0.5, 64 / 67.2)
        generator.parameters.load([Float](repeating: 3, count: generator.parameters.count))
        generator.state.load([Float](repeating: 3, count: generator.state.count))
        average.update(towards: generator, globalBatch: 64)
        for buffer in [average.parameters, average.state] {
            for i in [0, 1, 2, 3, 4, buffer.count - 1] {
                let before = 1 + 0.5 * (Double(i % 5) - 1)
                XCTAssertEqual(Double(buffer[i]), 3 + beta * (before - 3), accuracy: 1e-6, "index \(i) after β = \(beta)")
            }
        }
        XCTAssertEqual(average.images, 1408)
    }

    /// The trainer updates the average after every G step from the first: 40 mlp steps,
    /// through the warm-up (h = 3.2·k images after k steps) into the half-life of 100
    /// images, against the same average computed in Double from G's trajectory.
    func testTrainerAveragesGsTrajectory() throws {
        let trainer = try makeTrainer(["--g-ema-kimg", "0.1"])
        let generator = trainer.generator
        var expected = generator.parameters.array.map(Double.init)
        for k in 0..<40 {
            _ = try trainer.trainOneIteration()
            trainer.step += 1
            let halfLife = min(100, 0.05 * Double(64 * k))
            let beta = halfLife > 0 ? pow(0.5, 64 / halfLife) : 0
            for i in expected.indices {
                let g = Double(generator.parameters[i])
                expected[i] = g + beta * (expected[i] - g)
            }
        }
        let average = try XCTUnwrap(trainer.generatorEMA)
        XCTAssertEqual(average.images, 40 * 64)
        var largest = 0.0, apart = 0.0
        for i in expected.indices {
            largest = max(largest, abs(Double(average.parameters[i]) - expected[i]))
            apart = max(apart, abs(Double(generator.parameters[i]) - expected[i]))
        }
        XCTAssertLessThan(largest, 1e-5, "the average differs from the hand computation")
        XCTAssertGreaterThan(apart, 1e-3, "the average is no different from G: nothing was averaged")
    }

    /// A checkpoint holds the average (format version 4) and decodes it to the bit; its
    /// sections come together.
    func testCheckpointHoldsTheAverage() throws {
        let trainer = try makeTrainer(["--g-ema-kimg", "0.1"])
        for _ in 0..<3 { _ = try trainer.trainOneIteration(); trainer.step += 1 }
        let bytes = try trainer.makeCheckpoint().encode()
        XCTAssertEqual(try CheckpointFile.parse(bytes, source: "memory").version, 4)
        let decoded = try XCTUnwrap(try Checkpoint.decode(bytes, source: "memory").generatorEMA)
        let average = try XCTUnwrap(trainer.generatorEMA)
        XCTAssertEqual(decoded.parameters, average.parameters.array)
        XCTAssertEqual(decoded.images, 3 * 64)

        let partial = try CheckpointFile.parse(bytes, source: "memory").sections
            .filter { $0.name != "G_ema.images" }.map { (name: $0.name, payload: $0.payload) }
        XCTAssertThrowsError(try Checkpoint.decode(CheckpointFile.encode(partial), source: "ck")) {
            XCTAssertTrue("\($0)".contains("ck lacks the section G_ema.images"), "\($0)")
        }
        let without = try makeTrainer([])
        XCTAssertNil(without.generatorEMA)
        XCTAssertNil(try Checkpoint.decode(try without.makeCheckpoint().encode(), source: "memory").generatorEMA)
    }

    /// 6 steps straight and 3 + a resume to 6 give the same average to the bit; a resume may
    /// change the half-life (the average continues with the new one) or drop the average.
    func testResumeContinuesTheAverage() throws {
        let straight = try makeTrainer(["--g-ema-kimg", "0.1"])
        for _ in 0..<6 { _ = try straight.trainOneIteration(); straight.step += 1 }
        let first = try makeTrainer(["--g-ema-kimg", "0.1"])
        for _ in 0..<3 { _ = try first.trainOneIteration(); first.step += 1 }
        let checkpoint = try Checkpoint.decode(try first.makeCheckpoint().encode(), source: "memory")
        let resumed = try makeTrainer(["--g-ema-kimg", "0.1"], resumingFrom: checkpoint)
        for _ in 0..<3 { _ = try resumed.trainOneIteration(); resumed.step += 1 }
        XCTAssertEqual(resumed.generatorEMA?.parameters.array, straight.generatorEMA?.parameters.array)
        XCTAssertEqual(resumed.generatorEMA?.images, straight.generatorEMA?.images)

        let longer = try XCTUnwrap(try makeTrainer(["--g-ema-kimg", "2"], resumingFrom: checkpoint).generatorEMA)
        XCTAssertEqual(longer.halfLifeKimg, 2)
        XCTAssertEqual(longer.parameters.array, checkpoint.generatorEMA?.parameters)
        XCTAssertEqual(longer.images, 3 * 64)
        XCTAssertNil(try makeTrainer(["--g-ema-kimg", "0"], resumingFrom: checkpoint).generatorEMA)
    }

    /// Gantry 0.1.0's checkpoint (no average) resumed with --g-ema-kimg: the average starts
    /// there as a copy of G, its warm-up from 0 images.
    func testAverageStartsWhenResumingACheckpointWithoutOne() throws {
        let path = CheckpointFixtureTests.fixtures + "/v0.1.0/mlp-ring8/checkpoints/step-000020.gckpt"
        let checkpoint = try Checkpoint.load(path)
        XCTAssertNil(checkpoint.generatorEMA)
        let trainer = try makeTrainer(["--g-ema-kimg", "1"], resumingFrom: checkpoint)
        let average = try XCTUnwrap(trainer.generatorEMA)
        XCTAssertEqual(average.images, 0)
        XCTAssertEqual(average.parameters.array, checkpoint.generator.parameters)
        _ = try trainer.trainOneIteration()
        XCTAssertEqual(average.parameters.array, trainer.generator.parameters.array, "β is 0 at 0 images: a copy of G")
    }

    /// The average is one more copy of G's parameters and statistics per rank: the trainer
    /// counts it and the memory budget plans for it.
    func testMemoryCountsTheAverage() throws {
        let with = try makeTrainer(["--g-ema-kimg", "1"]), without = try makeTrainer([])
        let floats = with.generator.parameters.count + with.generator.state.count
        XCTAssertEqual(with.allocatedFloats - without.allocatedFloats, floats)
        XCTAssertEqual(with.plan.memoryBudget.bytes - without.plan.memoryBudget.bytes, 4 * Double(floats))
    }

    /// An mlp trainer on ring8 at batch 64, one rank, with `flags`.
    private func makeTrainer(_ flags: [String], resumingFrom checkpoint: Checkpoint? = nil) throws -> Trainer {
        let communicator = try XCTUnwrap(GradientSynchronizerTests.communicator)
        let options = try TrainingOptions.parse(["--model", "mlp", "--data", "ring8", "--batch", "64", "--steps", "100"] + flags)
        return try Trainer(plan: TrainingPlan(options: options, worldSize: communicator.size), communicator: communicator,
                           output: nil, resumingFrom: checkpoint)
    }
}
