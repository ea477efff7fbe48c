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
