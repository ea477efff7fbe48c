import XCTest
import Foundation

/// The GAN really learns: a vanilla GAN of the `mlp` shape on ring8, trained on 2 ranks with
/// default hyper-parameters, covers the modes with mostly high-quality samples.
final class LearningTests: XCTestCase {
    func testMLPLearnsRing8OnTwoRanks() throws {
        let run = try temporaryDirectory("learn") + "/run"
        let training = try GantryProcess.mpirun(ranks: 2, [
            "train", "--model", "mlp", "--data", "ring8", "--steps", "20000", "--seed", "1",
            "--log-every", "1000", "--sample-every", "5000", "--checkpoint-every", "10000", "--out", run])
        XCTAssertEqual(training.status, 0, training.output)

        let evaluation = try GantryProcess.direct(["eval", "--checkpoint", run, "--json"])
        XCTAssertEqual(evaluation.status, 0, evaluation.output)
        let result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluation.stdout.utf8)) as? [String: Any])
        let covered = try XCTUnwrap(result["modes_covered"] as? Int)
        let quality = try XCTUnwrap(result["high_quality_share"] as? Double)
        print("ring8 after 20000 steps on 2 ranks: \(covered)/8 modes, high-quality share \(quality)")
        XCTAssertEqual(result["samples"] as? Int, 2500)
        XCTAssertGreaterThanOrEqual(covered, 7, evaluation.stdout)
        XCTAssertGreaterThanOrEqual(quality, 0.7, evaluation.stdout)
        try? FileManager.default.removeItem(atPath: run)
    }
}
