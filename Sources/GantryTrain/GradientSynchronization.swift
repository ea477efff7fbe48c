import GantryMPI
import GantryNN

/// How the gradient allreduce is organised (`gantry train --allreduce`).
public enum AllreduceMode: String, CaseIterable, Codable {
    /// One allreduce of the whole gradient buffer after backward.
    case fused
    /// Buckets of the buffer, each started while backward is still computing earlier layers.
    case bucketed
}

/// Makes one network's gradients the same on every rank: an in-place allreduce-sum of its
/// flat gradient buffer. The trainer scales each rank's loss gradient by 1/size beforehand,
/// so the sum is the gradient of the loss averaged over the global batch, with no second
/// pass over the buffer.
///
/// Bucketed: backward produces gradients last layer first, and the buffer holds layers in
/// order, so its tail is final first. The buffer is cut at layer boundaries into buckets of
/// at least `bucketBytes`, from the end; a bucket's MPI_Iallreduce starts as soon as the
/// backward of its lowest layer is done (Network.backward's `afterLayer` hook), and MPI is
/// given a chance to progress after every layer. `finish` starts what is left and waits.
/// Every element is reduced exactly as in one fused call, so both modes give the same bits
/// on two ranks.
public final class GradientSynchronizer {
    struct Bucket {
        let range: Range<Int>
        /// The lowest layer whose parameters are in the bucket.
        let firstLayer: Int
    }

    public let mode: AllreduceMode
    let buckets: [Bucket]
    private let network: Network
    private let communicator: Communicator
    private let requests: RequestSlots
    private var started = 0
    private var failure: Error?

    public init(network: Network, communicator: Communicator, mode: AllreduceMode, bucketBytes: Int) {
        self.network = network
        self.communicator = communicator
        self.mode = mode
        var buckets: [Bucket] = []
        var end = network.parameters.count
        for (i, layer) in network.layers.enumerated().reversed() where layer.parameterCount > 0 {
            let start = network.parameterOffsets[i]
            if (end - start) * MemoryLayout<Float>.stride >= bucketBytes || i == 0 {
                buckets.append(Bucket(range: start..<end, firstLayer: i))
                end = start
            }
        }
        if end > 0 { buckets.append(Bucket(range: 0..<end, firstLayer: 0)) }
        self.buckets = mode == .fused ? [Bucket(range: 0..<network.parameters.count, firstLayer: 0)] : buckets
        requests = RequestSlots(count: self.buckets.count)
    }

    /// Call just before the backward pass that completes this step's gradients.
    public func begin() {
        started = 0
        failure = nil
    }

    /// Network.backward's `afterLayer` hook: starts every bucket whose layers are all done.
    public func layerDone(_ layer: Int) {
        guard mode == .bucketed, failure == nil else { return }
        do {
            while started < buckets.count && buckets[started].firstLayer >= layer {
                try start(started)
                started += 1
            }
            try communicator.progress(requests)
        } catch {
            failure = error
        }
    }

    /// After backward: fused, one blocking MPI_Allreduce of the whole buffer (on shared
    /// memory the blocking call is 2–2.6× faster than MPI_Iallreduce, docs/scaling.md);
    /// bucketed, starts the buckets not yet started and waits until every one is reduced.
    public func finish() throws {
        if mode == .fused {
            try communicator.allreduce(network.gradients.pointer, count: network.gradients.count, op: .sum)
            return
        }
        if let failure { throw failure }
        while started < buckets.count {
            try start(started)
            started += 1
        }
        try communicator.waitAll(requests)
    }

    private func start(_ index: Int) throws {
        let range = buckets[index].range
        try communicator.startAllreduce(network.gradients.pointer + range.lowerBound, count: range.count,
                                        slot: index, of: requests)
    }
}
