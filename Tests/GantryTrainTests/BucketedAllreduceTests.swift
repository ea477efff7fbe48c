import XCTest
import Foundation
@testable import GantryTrain
import GantryMPI

/// The bucketed allreduce reduces every gradient exactly as the fused one, whichever engine
/// overlaps it with backward: same parameters.
final class BucketedAllreduceTests: XCTestCase {
    func testBucketedAndFusedSynchronisationGiveTheSameParameters() throws {
        let root = try temporaryDirectory("bucketed")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var checkpoints: [String: CheckpointFile] = [:]
        for (name, flags) in [("fused", ["--allreduce", "fused"]),
                              ("poll", ["--allreduce", "bucketed", "--bucket-mb", "0.3", "--overlap", "poll"]),
                              ("thread", ["--allreduce", "bucketed", "--bucket-mb", "0.3", "--overlap", "thread"])] {
            let run = "\(root)/\(name)"
            let outcome = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "dcgan28", "--batch", "16", "--steps", "4",
                                                              "--out", run] + flags)
            XCTAssertEqual(outcome.status, 0, outcome.output)
            checkpoints[name] = try CheckpointFile.parse(try AtomicFile.read(run + "/checkpoints/step-000004.gckpt"), source: name)
        }
        let fused = try XCTUnwrap(checkpoints["fused"])
        for name in ["poll", "thread"] {
            let bucketed = try XCTUnwrap(checkpoints[name])
            for section in fused.sections where section.name.hasPrefix("G.") || section.name.hasPrefix("D.") {
                XCTAssertEqual(section.payload, bucketed.section(section.name)?.payload, "\(section.name) differs (\(name))")
            }
        }
    }

    func testBucketsCutTheBufferAtLayerBoundariesFromTheEnd() throws {
        let generator = ModelKind.dcgan28.makeGenerator(batch: 2)
        let communicator = try XCTUnwrap(Self.communicator)
        var configuration = GradientSynchronizer.Configuration()
        configuration.mode = .bucketed
        configuration.bucketBytes = 1_000_000
        let synchronizer = GradientSynchronizer(network: generator, communicator: communicator, configuration: configuration)
        let buckets = synchronizer.buckets
        // Contiguous, covering the whole buffer, last layers first, each starting at a layer.
        XCTAssertEqual(buckets.first?.range.upperBound, generator.parameters.count)
        XCTAssertEqual(buckets.last?.range.lowerBound, 0)
        for (newer, older) in zip(buckets, buckets.dropFirst()) {
            XCTAssertEqual(older.range.upperBound, newer.range.lowerBound)
            XCTAssertGreaterThan(newer.firstLayer, older.firstLayer)
        }
        for bucket in buckets {
            XCTAssertEqual(generator.parameterOffsets[bucket.firstLayer], bucket.range.lowerBound)
        }
        XCTAssertGreaterThan(buckets.count, 1, "a 3.35 MB generator in 1 MB buckets")
        configuration.mode = .fused
        let fused = GradientSynchronizer(network: generator, communicator: communicator, configuration: configuration)
        XCTAssertEqual(fused.buckets.map(\.range), [0..<generator.parameters.count])
    }

    /// MPI in this test process (a world of one rank), shared with NoAllocationTests.
    static let communicator = try? GantryMPI.Communicator.initialize()
}
