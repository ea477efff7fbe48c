import XCTest
import Foundation

/// The GAN really learns: a vanilla GAN of the `mlp` shape on ring8, trained on 2 ranks with
/// default hyper-parameters, covers the modes with mostly high-quality samples, with float
/// gradients and with gradients sent as fp16.
final class LearningTests: XCTestCase {
    func testMLPLearnsRing8OnTwoRanks() throws {
        try learnRing8(label: "float gradients", flags: [])
    }

    /// fp16 keeps about 3 significant digits of each gradient and flushes values below 6e-8
    /// to zero; training must not notice.
    func testMLPLearnsRing8WithFP16Gradients() throws {
        try learnRing8(label: "--compress fp16", flags: ["--compress", "fp16", "--allreduce", "bucketed", "--bucket-mb", "0.01"])
    }

    /// A sanity check of R1 (docs/stabilisers.md): lazy R1 trains ring8 on one rank without a
    /// non-finite step, logs a positive penalty, and covers several modes after a short run.
    /// Quality with R1 is measured, not asserted (docs/stabilisers.md).
    func testMLPTrainsRing8WithR1() throws {
        let run = try temporaryDirectory("learn-r1") + "/run"
        defer { try? FileManager.default.removeItem(atPath: run) }
        let training = try GantryProcess.mpirun(ranks: 1, [
            "train", "--model", "mlp", "--data", "ring8", "--steps", "4000", "--seed", "1", "--r1", "1", "--r1-every", "4",
            "--log-every", "500", "--sample-every", "4000", "--checkpoint-every", "4000", "--out", run])
        XCTAssertEqual(training.status, 0, training.output)
        let penalties = try metrics(in: run).map { try XCTUnwrap($0["r1"] as? Double) }
        XCTAssertEqual(penalties.count, 8)
        XCTAssertTrue(penalties.allSatisfy { $0 > 0 && $0.isFinite }, "\(penalties)")
        let evaluation = try GantryProcess.direct(["eval", "--checkpoint", run, "--json"])
        XCTAssertEqual(evaluation.status, 0, evaluation.output)
        let result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluation.stdout.utf8)) as? [String: Any])
        let covered = try XCTUnwrap(result["modes_covered"] as? Int)
        print("ring8 after 4000 steps with --r1 1 --r1-every 4: \(covered)/8 modes, high-quality share \(result["high_quality_share"] ?? "?"), r1 \(penalties)")
        XCTAssertGreaterThanOrEqual(covered, 4, evaluation.stdout)
    }

    private func learnRing8(label: String, flags: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try temporaryDirectory("learn") + "/run"
        let training = try GantryProcess.mpirun(ranks: 2, [
            "train", "--model", "mlp", "--data", "ring8", "--steps", "20000", "--seed", "1",
            "--log-every", "1000", "--sample-every", "5000", "--checkpoint-every", "10000", "--out", run] + flags)
        XCTAssertEqual(training.status, 0, training.output, file: file, line: line)

        let (evaluation, result) = try evaluateModes(run, file: file, line: line)
        let covered = try XCTUnwrap(result["modes_covered"] as? Int, file: file, line: line)
        let quality = try XCTUnwrap(result["high_quality_share"] as? Double, file: file, line: line)
        print("ring8 after 20000 steps on 2 ranks, \(label): \(covered)/8 modes, high-quality share \(quality)")
        XCTAssertEqual(result["samples"] as? Int, 2500, file: file, line: line)
        XCTAssertGreaterThanOrEqual(covered, 7, evaluation.stdout, file: file, line: line)
        XCTAssertGreaterThanOrEqual(quality, 0.7, evaluation.stdout, file: file, line: line)
        try? FileManager.default.removeItem(atPath: run)
    }
}

/// `gantry eval --json` of `run`'s newest checkpoint: the process and its JSON object.
func evaluateModes(_ run: String, file: StaticString = #filePath, line: UInt = #line) throws -> (GantryProcess.Outcome, [String: Any]) {
    let evaluation = try GantryProcess.direct(["eval", "--checkpoint", run, "--json"])
    XCTAssertEqual(evaluation.status, 0, evaluation.output, file: file, line: line)
    let result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluation.stdout.utf8)) as? [String: Any],
                               file: file, line: line)
    return (evaluation, result)
}
