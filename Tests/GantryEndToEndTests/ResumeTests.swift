import XCTest
import Foundation
import GantryData
@testable import GantryTrain

/// A run resumed from a checkpoint continues exactly as if it had never stopped.
final class ResumeTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws { root = try temporaryDirectory("resume") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func train(ranks: Int, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> GantryProcess.Outcome {
        let outcome = try GantryProcess.mpirun(ranks: ranks, ["train"] + arguments)
        XCTAssertEqual(outcome.status, 0, outcome.output, file: file, line: line)
        return outcome
    }

    /// Runs 2S steps straight, and S steps then a resume to 2S, on the same world size, and
    /// requires bit-identical training state and sample pictures.
    func assertResumeIsBitIdentical(_ flags: [String], half: Int) throws {
        let straight = root + "/straight", interrupted = root + "/interrupted"
        let common = flags + ["--log-every", "1", "--sample-every", String(half), "--checkpoint-every", String(half)]
        _ = try train(ranks: 2, common + ["--steps", String(2 * half), "--out", straight])
        _ = try train(ranks: 2, common + ["--steps", String(half), "--out", interrupted])
        let resumed = try train(ranks: 2, ["--steps", String(2 * half), "--out", interrupted, "--resume", "auto"])
        XCTAssertTrue(resumed.stdout.contains("resuming at step \(half)"), resumed.stdout)

        let final = CheckpointDirectory.fileName(step: 2 * half)
        let a = try CheckpointFile.parse(try AtomicFile.read("\(straight)/checkpoints/\(final)"), source: "straight")
        let b = try CheckpointFile.parse(try AtomicFile.read("\(interrupted)/checkpoints/\(final)"), source: "resumed")
        XCTAssertEqual(a.sections.map(\.name), b.sections.map(\.name))
        // Every state section to the bit. The header records each command's own flags and
        // the metrics their timings, so those two are compared by content below.
        for section in a.sections where !["header", "metrics"].contains(section.name) {
            XCTAssertEqual(section.payload, b.section(section.name)?.payload, "section \(section.name) differs after resuming")
        }
        let headerA = try Checkpoint.load("\(straight)/checkpoints/\(final)").header
        let headerB = try Checkpoint.load("\(interrupted)/checkpoints/\(final)").header
        XCTAssertEqual(headerA.step, headerB.step)
        XCTAssertEqual(headerA.sampler, headerB.sampler)
        XCTAssertEqual(headerA.random, headerB.random)
        let picture = "samples/step-\(padded(2 * half)).png"
        XCTAssertEqual(FileManager.default.contents(atPath: "\(straight)/\(picture)"),
                       FileManager.default.contents(atPath: "\(interrupted)/\(picture)"), "sample pictures differ")

        // The metrics of the resumed run continue the first part's, one line per step.
        let steps = try metrics(in: interrupted).compactMap { $0["step"] as? Int }
        XCTAssertEqual(steps, Array(1...(2 * half)))
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: interrupted + "/config.json"))) as? [String: Any])
        let resumes = try XCTUnwrap(config["resumes"] as? [[String: Any]])
        XCTAssertEqual(resumes.count, 1)
        XCTAssertEqual(resumes.first?["step"] as? Int, half)
        XCTAssertEqual((resumes.first?["changed"] as? [String: String])?["steps"], String(2 * half))
    }

    func testMLPResumeIsBitIdentical() throws {
        try assertResumeIsBitIdentical(["--model", "mlp", "--data", "ring8"], half: 30)
    }

    func testDCGAN28ResumeIsBitIdentical() throws {
        try assertResumeIsBitIdentical(["--model", "dcgan28", "--data", "glyphs", "--batch", "8"], half: 3)
    }

    /// With G's moving average (docs/ema.md): its sections too are bit-identical, and so are
    /// the sample pictures, which it draws. 16 images per step and a half-life of 10 images
    /// keep the warm-up's β changing at every step, so a resume that lost its image count
    /// would show.
    func testDCGAN28ResumeWithGeneratorEMAIsBitIdentical() throws {
        try assertResumeIsBitIdentical(["--model", "dcgan28", "--data", "glyphs", "--batch", "8", "--g-ema-kimg", "0.01"], half: 3)
        let file = try CheckpointFile.parse(try AtomicFile.read(root + "/interrupted/checkpoints/step-000006.gckpt"), source: "resumed")
        XCTAssertEqual(file.sections.map(\.name).filter { $0.hasPrefix("G_ema.") }, ["G_ema.parameters", "G_ema.state", "G_ema.images"])
        XCTAssertEqual(try Checkpoint.load(root + "/interrupted/checkpoints/step-000006.gckpt").generatorEMA?.images, 6 * 16)
    }

    /// --lr-decay: a run resumed from its step-S checkpoint into a new directory (the options,
    /// --steps 2S included, come from the checkpoint) ends with the bits of the straight run,
    /// whose learning rates decayed from step S/2; and the decay changed the weights.
    func testMLPResumeWithLearningRateDecayIsBitIdentical() throws {
        let flags = ["--model", "mlp", "--data", "ring8", "--steps", "60", "--checkpoint-every", "30", "--sample-every", "60"]
        let decay = ["--lr-decay", "linear", "--lr-decay-start", "0.25"]
        _ = try train(ranks: 2, flags + decay + ["--out", root + "/straight"])
        _ = try train(ranks: 2, ["--resume", root + "/straight/checkpoints/step-000030.gckpt", "--out", root + "/resumed"])
        _ = try train(ranks: 2, flags + ["--out", root + "/constant"])
        let load = { (run: String) in try CheckpointFile.parse(try AtomicFile.read("\(self.root)/\(run)/checkpoints/step-000060.gckpt"), source: run) }
        let (straight, resumed, constant) = (try load("straight"), try load("resumed"), try load("constant"))
        for section in straight.sections where !["header", "metrics"].contains(section.name) {
            XCTAssertEqual(section.payload, resumed.section(section.name)?.payload, "section \(section.name) differs after resuming")
        }
        XCTAssertNotEqual(straight.section("G.parameters")?.payload, constant.section("G.parameters")?.payload,
                          "the decay did not change G's weights")
        XCTAssertEqual(try Checkpoint.load(root + "/resumed/checkpoints/step-000060.gckpt").header.trainingOptions(source: "resumed").lrDecay, .linear)
    }

    /// 2 ranks to step S, then 1 rank with the same global batch to 2S: the same trajectory as
    /// 2 ranks all the way, up to float rounding.
    func testResumeOnFewerRanksContinuesTheTrajectory() throws {
        let straight = root + "/straight", moved = root + "/moved"
        let common = ["--model", "mlp", "--data", "ring8", "--global-batch", "64", "--log-every", "10"]
        _ = try train(ranks: 2, common + ["--steps", "40", "--out", straight])
        _ = try train(ranks: 2, common + ["--steps", "20", "--out", moved])
        let resumed = try train(ranks: 1, ["--steps", "40", "--out", moved, "--resume", "auto"])
        XCTAssertTrue(resumed.stdout.contains("with 1 rank, batch 64 per rank (global 64)"), resumed.stdout)

        let a = try Checkpoint.load(straight + "/checkpoints/step-000040.gckpt")
        let b = try Checkpoint.load(moved + "/checkpoints/step-000040.gckpt")
        XCTAssertEqual(b.header.worldSize, 1)
        XCTAssertLessThanOrEqual(relativeDifference(a.generator.parameters, b.generator.parameters), 1e-4)
        XCTAssertLessThanOrEqual(relativeDifference(a.discriminator.parameters, b.discriminator.parameters), 1e-4)
    }

    func testKeepRetainsTheNewestAndEveryKeepEvery() throws {
        let run = root + "/run"
        _ = try train(ranks: 2, ["--model", "mlp", "--data", "ring8", "--steps", "12", "--checkpoint-every", "1",
                                 "--keep", "2", "--keep-every", "5", "--out", run])
        XCTAssertEqual(CheckpointDirectory(runDirectory: run).checkpoints.map(\.step), [5, 10, 11, 12])
        _ = try train(ranks: 2, ["--steps", "14", "--out", run, "--resume", "auto"])
        XCTAssertEqual(CheckpointDirectory(runDirectory: run).checkpoints.map(\.step), [5, 10, 13, 14])
    }

    func testChangedFlagsAreRecordedAndConflictingOnesRefused() throws {
        let run = root + "/run"
        _ = try train(ranks: 2, ["--model", "mlp", "--data", "ring8", "--steps", "10", "--out", run])
        let refused = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "dcgan28", "--steps", "20", "--out", run, "--resume", "auto"])
        XCTAssertEqual(refused.status, 1, refused.output)
        XCTAssertEqual(refused.errorLines.count, 1, refused.output)
        XCTAssertTrue(refused.errorLines.first?.contains("--model dcgan28 conflicts with the checkpoint") ?? false, refused.output)

        let seed = try GantryProcess.mpirun(ranks: 2, ["train", "--seed", "99", "--steps", "20", "--out", run, "--resume", "auto"])
        XCTAssertEqual(seed.status, 1, seed.output)
        XCTAssertTrue(seed.errorLines.first?.contains("--seed 99 conflicts") ?? false, seed.output)

        _ = try train(ranks: 2, ["--steps", "20", "--lr-g", "0.001", "--out", run, "--resume", "auto"])
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as? [String: Any])
        let changed = try XCTUnwrap((config["resumes"] as? [[String: Any]])?.last?["changed"] as? [String: String])
        XCTAssertEqual(changed["lr_g"], "0.001")
        XCTAssertEqual(changed["steps"], "20")
        XCTAssertEqual(try Checkpoint.load(run + "/checkpoints/step-000020.gckpt").header.trainingOptions(source: "step 20").lrG, 0.001)
    }

    /// A checkpoint written by Gantry 0.1.0 (Tests/Fixtures/README.md) resumes to the very
    /// bits that 0.1.0 itself reached when resuming it.
    func testVersion010CheckpointResumesToTheSameBits() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/v0.1.0/mlp-ring8").path
        let run = root + "/from-0.1.0"
        _ = try train(ranks: 1, ["--resume", fixtures + "/checkpoints/step-000020.gckpt", "--out", run, "--steps", "30"])
        let file = try CheckpointFile.parse(try AtomicFile.read(run + "/checkpoints/step-000030.gckpt"), source: "resumed")
        let expected = try JSONDecoder().decode([String: String].self,
                                                from: Data(contentsOf: URL(fileURLWithPath: fixtures + "/step-000030-sha256.json")))
        XCTAssertEqual(Set(expected.keys), ["G.parameters", "D.parameters"])
        for (name, digest) in expected {
            XCTAssertEqual(try sha256(try XCTUnwrap(file.section(name)).payload), digest, "\(name) differs from 0.1.0's resume")
        }
    }

    /// The SHA-256 of `bytes`, in hex, by coreutils' sha256sum.
    func sha256(_ bytes: [UInt8]) throws -> String {
        let path = root + "/digest-input"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let outcome = try GantryProcess.command(["sha256sum", path], limit: 30)
        XCTAssertEqual(outcome.status, 0, outcome.output)
        return String(outcome.stdout.prefix(64))
    }
}
