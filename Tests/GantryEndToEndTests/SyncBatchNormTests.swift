import XCTest
import Foundation
@testable import GantryTrain

/// SyncBatchNorm: dcgan28 on 2 ranks × 32 follows 1 rank × 64, within float rounding, and
/// without it the trajectories part visibly (each rank normalises with its own half batch).
final class SyncBatchNormTests: XCTestCase {
    func testTwoRanksWithSyncBatchNormFollowOneRank() throws {
        let root = try temporaryDirectory("syncbn")
        defer { try? FileManager.default.removeItem(atPath: root) }
        func train(ranks: Int, sync: Bool) throws -> Checkpoint {
            let run = "\(root)/np\(ranks)-\(sync)"
            let outcome = try GantryProcess.mpirun(ranks: ranks, ["train", "--model", "dcgan28", "--global-batch", "64",
                                                                  "--steps", "4", "--out", run] + (sync ? ["--sync-bn"] : []))
            XCTAssertEqual(outcome.status, 0, outcome.output)
            return try Checkpoint.load(run + "/checkpoints/step-000004.gckpt")
        }
        let one = try train(ranks: 1, sync: true)
        let synced = try train(ranks: 2, sync: true)
        let unsynced = try train(ranks: 2, sync: false)
        for (name, reference, withSync, withoutSync) in [
            ("G", one.generator, synced.generator, unsynced.generator),
            ("D", one.discriminator, synced.discriminator, unsynced.discriminator),
        ] {
            let near = relativeL2(reference.parameters, withSync.parameters)
            let far = relativeL2(reference.parameters, withoutSync.parameters)
            print("\(name): 1×64 vs 2×32 relative L2 difference \(near) with --sync-bn, \(far) without")
            XCTAssertLessThanOrEqual(near, 1e-3, "\(name) with SyncBatchNorm")
            XCTAssertGreaterThan(far, 5 * near, "\(name): SyncBatchNorm made no difference")
            XCTAssertLessThanOrEqual(relativeL2(reference.state, withSync.state), 1e-3, "\(name) running statistics")
        }
    }
}

/// ‖a − b‖ / ‖a‖.
func relativeL2(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var difference = 0.0, norm = 0.0
    for i in a.indices {
        difference += Double(a[i] - b[i]) * Double(a[i] - b[i])
        norm += Double(a[i]) * Double(a[i])
    }
    return (difference / max(norm, 1e-30)).squareRoot()
}
