import XCTest
@testable import GantryTrain
import GantryNN
import GantryData
import GantryMPI

/// The memory budget's estimate, from the layer definitions, against what the networks and
/// the trainer then really allocate; and the refusal it makes.
final class MemoryBudgetTests: XCTestCase {
    /// Each network's footprint is what `Network.init` allocates, to the float, scratch
    /// space included (a fresh space: the shared one may have grown for other tests).
    func testFootprintIsWhatTheNetworksAllocate() {
        for model in ModelKind.allCases.map(Architecture.init) {
            for batch in [1, 7, 64, 300] {
                let scratch = ScratchSpace()
                let g = Network(name: "G", layers: model.generatorLayers(), batchSize: batch, scratch: scratch)
                let d = Network(name: "D", layers: model.discriminatorLayers(), batchSize: batch, scratch: scratch)
                let (fg, fd) = model.footprints(batch: batch)
                let what = "\(model.kind.rawValue) at batch \(batch)"
                for (network, footprint) in [(g, fg), (d, fd)] {
                    XCTAssertEqual(footprint.parameters, network.parameters.count, what)
                    XCTAssertEqual(footprint.state, network.state.count, what)
                    XCTAssertEqual(footprint.activations, Double(network.activationMemoryFloats), what)
                }
                XCTAssertEqual(NetworkFootprint.scratchFloats([fg, fd]), Double(scratch.allocatedFloats), what)
            }
        }
    }

    /// dcgan28 at batch 64: the estimate is the trainer's count of its buffers (the
    /// benchmark's "model buffers"). The process-wide scratch space may have been grown by
    /// other tests of this process (evaluation networks of larger batches), so the trainer's
    /// count takes the scratch its own networks need, which the test above checks against a
    /// fresh scratch space.
    func testTrainerEstimateMatchesTheTrainersBuffers() throws {
        let communicator = try XCTUnwrap(MemoryBudgetTests.communicator)
        let options = try TrainingOptions.parse(["--model", "dcgan28", "--data", "glyphs", "--batch", "64"])
        let plan = try TrainingPlan(options: options, worldSize: 1)
        let trainer = try Trainer(plan: plan, communicator: communicator, output: nil)
        let (fg, fd) = Architecture(.dcgan28).footprints(batch: 64)
        let estimate = Architecture(.dcgan28).trainerFloats(batch: 64)
        let counted = Double(trainer.allocatedFloats - trainer.generator.scratch.allocatedFloats) + NetworkFootprint.scratchFloats([fg, fd])
        XCTAssertEqual(estimate, counted, accuracy: 0.1 * counted)
        XCTAssertGreaterThan(estimate, 12_000_000)  // about 50 MB (docs/performance.md, "Memory")
        // The budget adds the picture generator (batch 64: about 15 MB) and nothing for
        // glyphs (drawn on demand).
        let budget = plan.memoryBudget
        XCTAssertEqual(budget.bytes - 4 * estimate, 15e6, accuracy: 1e6)
    }

    /// With --r1, the estimate and the trainer's count both add the penalty's buffers (one
    /// input gradient per layer of D); the two trainers share one scratch space.
    func testTrainerEstimateIncludesTheR1Buffers() throws {
        let communicator = try XCTUnwrap(MemoryBudgetTests.communicator)
        func trainer(_ flags: [String]) throws -> Trainer {
            let options = try TrainingOptions.parse(["--model", "dcgan28", "--batch", "16", "--d-norm", "none"] + flags)
            return try Trainer(plan: try TrainingPlan(options: options, worldSize: 1), communicator: communicator, output: nil)
        }
        let penalised = try trainer(["--r1", "1"]), plain = try trainer([])
        let penalty = try XCTUnwrap(penalised.gradientPenalty)
        XCTAssertNil(plain.gradientPenalty)
        XCTAssertEqual(penalised.allocatedFloats - plain.allocatedFloats, penalty.allocatedFloats)
        let architecture = penalised.plan.architecture
        XCTAssertEqual(architecture.discriminatorNorm, .none)
        let estimate = architecture.trainerFloats(batch: 16, gradientPenalty: true)
        let without = architecture.trainerFloats(batch: 16)
        XCTAssertEqual(estimate - without, Double(penalty.allocatedFloats))
    }

    /// --eval-every adds the evaluation's generator (a chunk at a time) and its classifier,
    /// which is what an `ImageClassifier` allocates, to the float.
    func testEvaluationIsCounted() throws {
        let shape = Shape(channels: 1, height: 28, width: 28)
        let classifier = ImageClassifier(shape: shape, classes: 10)
        let held = classifier.features.parameters.count + classifier.features.gradients.count + classifier.features.state.count
            + classifier.features.activationMemoryFloats + classifier.head.parameters.count + classifier.head.gradients.count
            + classifier.head.activationMemoryFloats + classifier.features.scratch.allocatedFloats
        XCTAssertEqual(ImageClassifier.memoryFloats(shape: shape, classes: 10), Double(held))

        func budget(_ flags: [String]) throws -> MemoryBudget {
            try TrainingPlan(options: try TrainingOptions.parse(["--model", "dcgan28", "--data", "glyphs", "--batch", "16"] + flags),
                             worldSize: 1).memoryBudget
        }
        let architecture = Architecture(.dcgan28)
        let evaluation = TrainedGenerator.chunkMemoryFloats(architecture: architecture, chunk: TrainedGenerator.chunkSize(for: .dcgan28))
            + ImageClassifier.memoryFloats(shape: shape, classes: 10)
        XCTAssertEqual(try budget(["--eval-every", "100"]).bytes - (try budget([])).bytes, 4 * evaluation, accuracy: 1)
    }

    /// A batch the node cannot hold is a usage error naming both amounts, the source of the
    /// limit and the flag; the estimate grows with the batch and the dataset's bytes.
    func testRefusalNamesWhatIsNeededAndWhatThereIs() throws {
        let small = try TrainingPlan(options: try TrainingOptions.parse(["--model", "dcgan28", "--batch", "64"]), worldSize: 1).memoryBudget
        let large = try TrainingPlan(options: try TrainingOptions.parse(["--model", "dcgan28", "--batch", "640"]), worldSize: 1).memoryBudget
        XCTAssertGreaterThan(large.bytes, 4 * small.bytes)
        XCTAssertNoThrow(try small.check(MemoryLimit(bytesPerRank: 1e9, source: "test")))
        XCTAssertThrowsError(try small.check(MemoryLimit(bytesPerRank: 10 * 1024 * 1024, source: "GANTRY_MEMORY_LIMIT"))) {
            let error = $0 as? GantryError
            XCTAssertEqual(error?.exitCode, 64)
            let message = error?.description ?? ""
            XCTAssertTrue(message.hasPrefix("dcgan28 at --batch 64 needs about \(MemoryBudget.size(small.bytes)) per rank;"), message)
            XCTAssertTrue(message.hasSuffix("this node allows 10 MB per rank (GANTRY_MEMORY_LIMIT); lower --batch"), message)
        }
        let idx = try IDXImages(bytes: [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28] + [UInt8](repeating: 0, count: 2 * 784),
                                source: "two.idx")
        XCTAssertEqual(idx.residentBytes, 2 * 784)
        XCTAssertEqual(try Colorized(base: idx, seed: 1).residentBytes, 2 * 784 + 4 * 784)
    }

    /// MPI in this test process (a world of one rank).
    static let communicator = try? GantryMPI.Communicator.initialize()
}
