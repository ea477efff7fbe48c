import XCTest
import Foundation
@testable import GantryTrain

/// The bucketed allreduce reduces every gradient exactly as the fused one: same parameters.
final class BucketedAllreduceTests: XCTestCase {
    func testBucketedAndFusedSynchronisationGiveTheSameParameters() throws {
        let root = try temporaryDirectory("bucketed")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var checkpoints: [String: CheckpointFile] = [:]
        for (name, flags) in [("fused", ["--allreduce", "fused"]),
                              ("bucketed", ["--allreduce", "bucketed", "--bucket-mb", "0.3"])] {
            let run = "\(root)/\(name)"
            let outcome = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "dcgan28", "--batch", "16", "--steps", "4",
                                                              "--out", run] + flags)
            XCTAssertEqual(outcome.status, 0, outcome.output)
            checkpoints[name] = try CheckpointFile.parse(try AtomicFile.read(run + "/checkpoints/step-000004.gckpt"), source: name)
        }
        let fused = try XCTUnwrap(checkpoints["fused"])
        for name in ["bucketed"] {
            let bucketed = try XCTUnwrap(checkpoints[name])
            for section in fused.sections where section.name.hasPrefix("G.") || section.name.hasPrefix("D.") {
                XCTAssertEqual(section.payload, bucketed.section(section.name)?.payload, "\(section.name) differs (\(name))")
            }
        }
    }
}
