import XCTest
@testable import GantryBench
import GantryNN
import GantryTrain
import GantryMPI

/// dcgan64, the PyTorch DCGAN example's 3×64×64 model: its multiply-adds counted by hand
/// from the example's layers, and a training iteration on 3×64×64 images.
final class DCGAN64Tests: XCTestCase {
    /// G: ConvT 100→512 (1→4), 512→256 (→8), 256→128 (→16), 128→64 (→32), 64→3 (→64);
    /// D: Conv 3→64 (64→32), 64→128 (→16), 128→256 (→8), 256→512 (→4), 512→1 (→1); all k4.
    func testMultiplyAddsAreThoseOfTheDCGANExample() {
        let model = Architecture(.dcgan64)
        let generator = model.makeGenerator(batch: 1), discriminator = model.makeDiscriminator(batch: 1)
        // A transposed convolution: in × out × k² per input pixel; a convolution: per output pixel.
        let gConvolutions = [100 * 512 * 16 * 1, 512 * 256 * 16 * 16, 256 * 128 * 16 * 64, 128 * 64 * 16 * 256, 64 * 3 * 16 * 1024]
        let gNorms = [512 * 16, 256 * 64, 128 * 256, 64 * 1024]
        let dConvolutions = [3 * 64 * 16 * 1024, 64 * 128 * 16 * 256, 128 * 256 * 16 * 64, 256 * 512 * 16 * 16, 512 * 16]
        let dNorms = [128 * 256, 256 * 64, 512 * 16]
        XCTAssertEqual(generator.forwardMultiplyAddsPerSample, gConvolutions.reduce(0, +) + gNorms.reduce(0, +))
        XCTAssertEqual(discriminator.forwardMultiplyAddsPerSample, dConvolutions.reduce(0, +) + dNorms.reduce(0, +))
        XCTAssertEqual(generator.outputShape, Shape(channels: 3, height: 64, width: 64))
        XCTAssertEqual(discriminator.outputShape, Shape(channels: 1))
        // About 0.1 G multiply-adds per image for each network's forward; a whole iteration
        // (IterationCost's passes) about 2.28 GFLOP per image, 9 times dcgan28's.
        let cost = IterationCost(generator: generator, discriminator: discriminator, dSteps: 1)
        XCTAssertEqual(Double(2 * cost.total) / 1e9, 2.28, accuracy: 0.01)
    }

    /// One iteration on a batch of 4 random 3×64×64 images moves both networks, with finite losses.
    func testTrainsAnIteration() throws {
        let communicator = try Communicator.initialize()
        let options = try TrainingOptions.parse(["--model", "dcgan64", "--batch", "4", "--steps", "1"])
        let plan = try TrainingPlan(options: options, worldSize: 1,
                                    dataset: SyntheticSamples(shape: ModelKind.dcgan64.sampleShape, count: 8, seed: 3))
        let trainer = try Trainer(plan: plan, communicator: communicator, output: nil)
        let before = (trainer.generator.parameters.array, trainer.discriminator.parameters.array)
        let losses = try trainer.trainOneIteration()
        XCTAssertTrue(losses.lossD.isFinite && losses.lossG.isFinite, "\(losses)")
        XCTAssertGreaterThan(losses.lossD, 0)
        XCTAssertNotEqual(trainer.generator.parameters.array, before.0)
        XCTAssertNotEqual(trainer.discriminator.parameters.array, before.1)
    }
}
