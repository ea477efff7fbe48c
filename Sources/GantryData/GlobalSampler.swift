// The global batch of step `counter` is a function of (seed, counter) alone. Ranks do
// not draw their own samples: each computes the same global batch and keeps its
// contiguous slice, so 1 rank × 64 and 4 ranks × 16 train on exactly the same data.

/// Draws global batches without replacement from a fresh permutation per epoch.
///
/// A class because it caches the current epoch's permutation: one array allocated in
/// `init` and re-shuffled in place when an epoch begins, so steady-state batches cost
/// no allocation. Not thread-safe; use one sampler per thread.
public final class GlobalSampler {
    public let datasetCount: Int
    public let globalBatch: Int
    public let seed: UInt64
    /// Full batches per epoch; the last partial batch is dropped so every batch is full.
    public let batchesPerEpoch: Int

    private var permutation: [Int]
    private var cachedEpoch = -1

    public init(datasetCount: Int, globalBatch: Int, seed: UInt64) throws {
        guard globalBatch > 0, datasetCount >= globalBatch else {
            throw DatasetError.batchLargerThanDataset(datasetCount: datasetCount, globalBatch: globalBatch)
        }
        self.datasetCount = datasetCount
        self.globalBatch = globalBatch
        self.seed = seed
        batchesPerEpoch = datasetCount / globalBatch
        permutation = Array(0..<datasetCount)
    }

    /// Global batch number `counter` (0-based, counting across epochs): its epoch and
    /// the `globalBatch` dataset indices. Resuming at any counter gives the same batch.
    public func batch(_ counter: Int) -> (epoch: Int, indices: ArraySlice<Int>) {
        precondition(counter >= 0, "batch counter must be non-negative")
        let epoch = counter / batchesPerEpoch
        if epoch != cachedEpoch { shuffle(epoch: epoch) }
        let start = (counter % batchesPerEpoch) * globalBatch
        return (epoch, permutation[start..<start + globalBatch])
    }

    /// This rank's contiguous part of global batch `counter` (world size must divide the
    /// batch), and the batch's epoch.
    public func localIndices(_ counter: Int, rank: Int, worldSize: Int) -> (epoch: Int, indices: ArraySlice<Int>) {
        precondition(worldSize > 0 && globalBatch % worldSize == 0 && (0..<worldSize).contains(rank),
                     "the world size must divide the global batch")
        let n = globalBatch / worldSize
        let (epoch, indices) = batch(counter)
        let start = indices.startIndex + rank * n
        return (epoch, indices[start..<start + n])
    }

    /// Fisher–Yates from the identity, so the permutation depends only on (seed, epoch),
    /// never on which epochs were visited before (resuming mid-run must agree).
    private func shuffle(epoch: Int) {
        var random = SequentialRandom(seed: seed, stream: CounterRandom.Stream.permutation,
                                      substream: UInt64(epoch))
        permutation.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = i }
            var i = p.count - 1
            while i > 0 {
                p.swapAt(i, random.int(below: i + 1))
                i -= 1
            }
        }
        cachedEpoch = epoch
    }
}
