import Foundation
import XCTest
import GantryData
import GantryTrain

/// `gantry eval` of image models and `gantry train --eval-every` (docs/evaluation.md), on the
/// real digits of MNIST-5k, with a classifier cache of the test process's own.
final class ImageEvalTests: XCTestCase {
    /// Shared by the tests of this process: the MNIST-5k classifier is trained once.
    static let cache = Result { try temporaryDirectory("classifier-cache") }
    static var environment: [String: String] { get throws { ["GANTRY_CLASSIFIER_CACHE": try cache.get()] } }

    private func gantry(_ arguments: [String], limit: Int = 300) throws -> GantryProcess.Outcome {
        try GantryProcess.command([GantryProcess.binary] + arguments, limit: limit, environment: try Self.environment)
    }

    private func mpirun(_ ranks: Int, _ arguments: [String], limit: Int = 300) throws -> GantryProcess.Outcome {
        try GantryProcess.command(["mpirun", "-np", String(ranks), "-x", "GANTRY_CLASSIFIER_CACHE", GantryProcess.binary] + arguments,
                                  limit: limit, environment: try Self.environment)
    }

    func testBadInputGetsOneLineAndExit64() throws {
        let root = try temporaryDirectory("image-eval-bad")
        // An IDX image file without a labels file beside it: images without labels.
        var idx: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 20, 0, 0, 0, 28, 0, 0, 0, 28]
        idx += [UInt8](repeating: 7, count: 20 * 784)
        FileManager.default.createFile(atPath: root + "/unlabelled", contents: Data(idx))
        let cases: [(String, [String], [String])] = [
            ("image eval of a 2-D model", ["eval", "--checkpoint", try SmallRuns.mlp, "--data", "glyphs"], ["--data", "2-D"]),
            ("data of another shape", ["eval", "--checkpoint", try SmallRuns.dcgan28, "--data", "color32:glyphs"], ["3x32x32", "1x28x28"]),
            ("no samples", ["eval", "--checkpoint", try SmallRuns.dcgan28, "--count", "0"], ["--count"]),
            ("class metrics without labels", ["eval", "--checkpoint", try SmallRuns.dcgan28, "--data", "idx:" + root + "/unlabelled",
                                              "--class-metrics"], ["--class-metrics", "labels"]),
            ("evaluating a 2-D model while training", ["train", "--model", "mlp", "--data", "ring8", "--steps", "2",
                                                       "--eval-every", "1", "--out", root + "/run"], ["--eval-every"]),
            ("no evaluation samples", ["train", "--model", "dcgan28", "--data", "glyphs", "--steps", "2",
                                       "--eval-every", "1", "--eval-count", "0", "--out", root + "/run"], ["--eval-count"]),
        ]
        for (name, arguments, mentions) in cases {
            let outcome = try gantry(arguments, limit: 60)
            let context = "\(name): gantry \(arguments.joined(separator: " "))\n\(outcome.output)"
            XCTAssertEqual(outcome.status, 64, context)
            XCTAssertEqual(outcome.errorLines.count, 1, context)
            for word in mentions { XCTAssertTrue(outcome.errorLines.first?.contains(word) ?? false, "no '\(word)'; \(context)") }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/run"))
    }

    /// --eval-every measures from its own copy and noise: the parameters end bit-identical to a
    /// run without it. It logs eval records and keeps the best generator.
    func testEvalEveryLeavesTrainingBitIdenticalAndKeepsTheBest() throws {
        let data = "idx:" + (try MNIST5k.directory)
        let root = try temporaryDirectory("eval-every")
        let common = ["train", "--model", "dcgan28", "--data", data, "--batch", "16", "--steps", "6", "--seed", "9"]
        let plain = try gantry(common + ["--out", root + "/plain"])
        XCTAssertEqual(plain.status, 0, plain.output)
        let evaluated = try gantry(common + ["--out", root + "/evaluated", "--eval-every", "3", "--eval-count", "300"])
        XCTAssertEqual(evaluated.status, 0, evaluated.output)
        let a = try Checkpoint.load(root + "/plain/checkpoints/step-000006.gckpt")
        let b = try Checkpoint.load(root + "/evaluated/checkpoints/step-000006.gckpt")
        XCTAssertTrue(a.generator.parameters == b.generator.parameters && a.generator.state == b.generator.state, "G differs")
        XCTAssertTrue(a.discriminator.parameters == b.discriminator.parameters, "D differs")

        let records = try metrics(in: root + "/evaluated").filter { $0["kind"] as? String == "eval" }
        XCTAssertEqual(records.map { $0["step"] as? Int }, [3, 6])
        for record in records {
            for key in ["samples", "frechet_distance", "inception_score", "classes_covered", "classes", "class_kl",
                        "precision", "recall", "swd_mean", "best", "seconds", "wall_time"] {
                XCTAssertNotNil(record[key], "\(key) missing from \(record)")
            }
            XCTAssertEqual(record["samples"] as? Int, 300)
        }
        // best.gckpt holds the generator of the best record.
        let fds = records.map { $0["frechet_distance"] as! Double }
        let bestStep = fds[1] < fds[0] ? 6 : 3
        let best = try Checkpoint.load(root + "/evaluated/checkpoints/best.gckpt")
        XCTAssertEqual(best.header.step, bestStep)
        XCTAssertEqual(records.map { $0["best"] as? Bool }, [true, bestStep == 6])
        XCTAssertTrue(evaluated.stdout.contains("eval step 3: FD"), evaluated.output)

        // gantry eval prints the model's numbers beside the floor's.
        let eval = try gantry(["eval", "--checkpoint", root + "/evaluated", "--count", "300", "--json"])
        XCTAssertEqual(eval.status, 0, eval.output)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any], eval.output)
        let floor = try XCTUnwrap(json["floor"] as? [String: Any]), model = try XCTUnwrap(json["model"] as? [String: Any])
        XCTAssertEqual(model["samples"] as? Int, 300)
        XCTAssertEqual(model["frechet_distance"] as? Double, fds[1])   // the same samples as the last evaluation
        XCTAssertEqual(floor["samples"] as? Int, 1000)
        XCTAssertLessThan(floor["frechet_distance"] as! Double, fds[1])
        XCTAssertGreaterThan(json["classifier_held_out_accuracy"] as! Double, 0.9)
        let text = try gantry(["eval", "--checkpoint", root + "/evaluated", "--count", "300"])
        XCTAssertEqual(text.status, 0, text.output)
        XCTAssertTrue(text.stdout.contains("floor (held-out real)") && text.stdout.contains("Frechet distance"), text.output)
    }

    /// dcgan28 on MNIST-5k with 2 ranks and G's moving average: FD falls and class coverage
    /// rises between the first and the last evaluation; at the end the moving average's FD is
    /// no worse than the trained G's; and the generator is measured in order with held-out
    /// real digits (better), its own untrained start, shuffled pixels and noise (worse).
    func testTwoRankMNISTRunImprovesAndMetricsOrderModels() throws {
        let directory = try MNIST5k.directory
        let run = try temporaryDirectory("eval-mnist") + "/run"
        // 1,500 steps at a global batch of 64: about 3 minutes here. Shorter runs end while G
        // still improves quickly, and an average lags it (docs/quality.md, "Images"). The first
        // evaluation comes early (step 75: about 7 classes ≥ 1 %; all 10 from step 200 on).
        let trained = try mpirun(2, ["train", "--model", "dcgan28", "--data", "idx:" + directory, "--global-batch", "64",
                                     "--steps", "1500", "--seed", "4", "--g-ema-kimg", "10", "--eval-every", "75",
                                     "--eval-count", "2000", "--sample-every", "1500", "--log-every", "500", "--out", run],
                                 limit: 900)
        XCTAssertEqual(trained.status, 0, trained.output)
        let records = try metrics(in: run).filter { $0["kind"] as? String == "eval" }
        let first = try XCTUnwrap(records.first), last = try XCTUnwrap(records.last)
        print("first evaluation: \(first)\nlast evaluation: \(last)")
        XCTAssertEqual(records.count, 20)
        XCTAssertLessThan(last["frechet_distance"] as! Double, first["frechet_distance"] as! Double)
        XCTAssertGreaterThan(last["classes_covered"] as! Int, first["classes_covered"] as! Int)

        // In this process, with the classifier the run trained (the same cache).
        setenv("GANTRY_CLASSIFIER_CACHE", try Self.cache.get(), 1)
        let dataset = try makeDataset("idx:" + directory, seed: 1)
        let evaluator = try ImageEvaluator(dataset: dataset, cache: ClassifierCache())
        let n = evaluator.split.heldOut.count
        let generator = try TrainedGenerator(fileOrRunDirectory: run)
        XCTAssertTrue(generator.usesAverage)
        let model = generator.evaluateImages(count: n, seed: 1, evaluator: evaluator)

        // The moving average against the trained G, on the same 2,000 noise vectors.
        let average = generator.evaluateImages(count: 2000, seed: 1, evaluator: evaluator).frechetDistance!
        let raw = try TrainedGenerator(fileOrRunDirectory: run, rawG: true).evaluateImages(count: 2000, seed: 1, evaluator: evaluator)
            .frechetDistance!
        print("FD at step 1500: moving average \(average), trained G \(raw)")
        XCTAssertLessThanOrEqual(average, raw)

        var untrainedCheckpoint = generator.checkpoint
        let fresh = Architecture(.dcgan28).makeGenerator(batch: 1)
        Architecture(.dcgan28).initialize(fresh, seed: 4, substream: 0)
        untrainedCheckpoint.generator.parameters = fresh.parameters.array
        untrainedCheckpoint.generator.state = fresh.state.array
        // rawG: the checkpoint still holds the run's moving average, which would be measured instead.
        let untrained = try TrainedGenerator(checkpoint: untrainedCheckpoint, path: "untrained", rawG: true)
            .evaluateImages(count: n, seed: 1, evaluator: evaluator)
        let held = evaluator.split.heldOut
        let shuffled = evaluator.measure(count: n) { add in
            var image = [Float](repeating: 0, count: 784)
            for (j, index) in held.enumerated() {
                dataset.write(sample: index, into: &image, channelStride: 784)
                var random = SequentialRandom(seed: UInt64(j), stream: 0x73687566)
                image.shuffle(using: &random)
                add(image, 1)
            }
        }
        let noise = evaluator.measure(count: n) { add in
            let random = CounterRandom(seed: 5, stream: 0x6E6F)
            for j in 0..<n { add((0..<784).map { 2 * random.uniform(at: UInt64(j * 784 + $0)) - 1 }, 1) }
        }
        let floor = evaluator.floor
        print("held-out accuracy \(evaluator.classifier!.heldOutAccuracy)")
        for (name, m) in [("floor", floor), ("trained", model), ("untrained", untrained), ("shuffled", shuffled), ("noise", noise)] {
            print("\(name): FD \(m.frechetDistance!) IS \(m.inceptionScore!) classes \(m.classesCovered!) KL \(m.classKl!) "
                  + "precision \(m.precision!) recall \(m.recall!) SWD \(m.swdMean)")
        }
        XCTAssertGreaterThan(evaluator.classifier!.heldOutAccuracy, 0.9)
        for (name, worse) in [("untrained", untrained), ("shuffled", shuffled), ("noise", noise)] {
            XCTAssertLessThan(floor.frechetDistance!, model.frechetDistance!)
            XCTAssertLessThan(model.frechetDistance!, worse.frechetDistance!, name)
            XCTAssertLessThan(floor.swdMean, model.swdMean)
            XCTAssertLessThan(model.swdMean, worse.swdMean, name)
            XCTAssertGreaterThan(floor.recall!, model.recall!)
            XCTAssertGreaterThan(model.recall!, worse.recall!, name)
        }
    }
}
