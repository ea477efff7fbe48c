import GantryData
import XCTest

final class GlobalSamplerTests: XCTestCase {
    func testEachEpochIsAPermutationAndEpochsDiffer() throws {
        let sampler = try GlobalSampler(datasetCount: 1000, globalBatch: 64, seed: 11)
        XCTAssertEqual(sampler.batchesPerEpoch, 15)  // 1000 / 64, partial batch dropped
        var epochs: [[Int]] = []
        for epoch in 0..<3 {
            var seen: [Int] = []
            for k in 0..<sampler.batchesPerEpoch {
                let batch = sampler.batch(epoch * sampler.batchesPerEpoch + k)
                XCTAssertEqual(batch.epoch, epoch)
                XCTAssertEqual(batch.indices.count, 64)
                seen += batch.indices
            }
            XCTAssertEqual(Set(seen).count, seen.count, "an index repeats within epoch \(epoch)")
            XCTAssertTrue(seen.allSatisfy { (0..<1000).contains($0) })
            epochs.append(seen)
        }
        XCTAssertNotEqual(epochs[0], epochs[1])
        XCTAssertNotEqual(epochs[1], epochs[2])
        XCTAssertNotEqual(epochs[0], Array(0..<epochs[0].count), "epoch 0 was not shuffled")
    }

    func testSameSeedSameBatchesInAnyOrder() throws {
        let a = try GlobalSampler(datasetCount: 500, globalBatch: 50, seed: 5)
        let b = try GlobalSampler(datasetCount: 500, globalBatch: 50, seed: 5)
        let c = try GlobalSampler(datasetCount: 500, globalBatch: 50, seed: 6)
        let forward = (0..<35).map { Array(a.batch($0).indices) }
        // Visiting counters backwards (as after a resume) must give the same batches.
        for counter in (0..<35).reversed() {
            XCTAssertEqual(Array(b.batch(counter).indices), forward[counter], "batch \(counter)")
        }
        XCTAssertNotEqual(forward[0], Array(c.batch(0).indices))
    }

    func testRankSliceIsPartOfGlobalBatch() throws {
        let sampler = try GlobalSampler(datasetCount: 300, globalBatch: 64, seed: 2)
        for counter in [0, 3, 4, 9] {
            let global = Array(sampler.batch(counter).indices)
            for worldSize in [1, 2, 4, 8] {
                let n = 64 / worldSize
                var joined: [Int] = []
                for rank in 0..<worldSize {
                    let local = Array(sampler.localIndices(counter, rank: rank, worldSize: worldSize).indices)
                    XCTAssertEqual(local, Array(global[rank * n ..< (rank + 1) * n]))
                    joined += local
                }
                XCTAssertEqual(joined, global)
            }
        }
    }

    func testBatchLargerThanDatasetIsAnError() {
        XCTAssertThrowsError(try GlobalSampler(datasetCount: 10, globalBatch: 64, seed: 1)) { error in
            XCTAssertTrue("\(error)".contains("64") && "\(error)".contains("10"), "\(error)")
        }
        XCTAssertThrowsError(try GlobalSampler(datasetCount: 10, globalBatch: 0, seed: 1))
    }
}
