import XCTest
@testable import GantryTrain

/// World-size invariance (DESIGN.md): the global batch of a step depends only on the seed
/// and the step, so 1 rank with batch B and 2 ranks with B/2 each follow the same trajectory.
final class WorldSizeTests: XCTestCase {
    func testOneRankAndTwoRanksReachTheSameParameters() throws {
        let root = try temporaryDirectory("worldsize")
        var checkpoints: [Checkpoint] = []
        for ranks in [1, 2] {
            let run = "\(root)/np\(ranks)"
            let outcome = try GantryProcess.mpirun(ranks: ranks, [
                "train", "--model", "mlp", "--data", "ring8", "--global-batch", "64", "--steps", "20",
                "--log-every", "10", "--out", run, "--seed", "7"])
            XCTAssertEqual(outcome.status, 0, outcome.output)
            checkpoints.append(try Checkpoint.load(run + "/checkpoints/step-000020.gckpt"))
        }
        XCTAssertEqual(checkpoints[0].header.worldSize, 1)
        XCTAssertEqual(checkpoints[1].header.worldSize, 2)
        assertSameParameters(checkpoints[0], checkpoints[1], "1 rank and 2 ranks")
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// G's and D's parameters in `one` and `two` agree within float rounding (1e-4 relative).
func assertSameParameters(_ one: Checkpoint, _ two: Checkpoint, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    for (name, a, b) in [("G", one.generator, two.generator), ("D", one.discriminator, two.discriminator)] {
        let difference = relativeDifference(a.parameters, b.parameters)
        XCTAssertLessThanOrEqual(difference, 1e-4, "\(what): \(name) parameters differ by \(difference) (relative)", file: file, line: line)
        // The runs really trained: parameters moved away from their shared start.
        XCTAssertGreaterThan(a.adamStep, 0, file: file, line: line)
    }
}

/// max |a − b| / max |a|: how far apart two parameter vectors are, relative to their scale.
func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var largest = 0.0, scale = 0.0
    for i in a.indices {
        largest = max(largest, Double(abs(a[i] - b[i])))
        scale = max(scale, Double(abs(a[i])))
    }
    return largest / max(scale, 1e-12)
}
