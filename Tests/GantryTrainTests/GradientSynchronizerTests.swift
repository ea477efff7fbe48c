import XCTest
@testable import GantryTrain
import GantryMPI

/// How the gradient buffer is cut into buckets.
final class GradientSynchronizerTests: XCTestCase {
    func testBucketsCutTheBufferAtLayerBoundariesFromTheEnd() throws {
        let generator = Architecture(.dcgan28).makeGenerator(batch: 2)
        let communicator = try XCTUnwrap(Self.communicator)
        var configuration = GradientSynchronizer.Configuration(mode: .bucketed, compression: .none, bucketBytes: 1_000_000)
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

    /// MPI in this test process (a world of one rank).
    static let communicator = try? GantryMPI.Communicator.initialize()
}
