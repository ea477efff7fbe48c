import GantryMPI
import GantryNN

/// How the gradient allreduce is organised (`gantry train --allreduce`).
public enum AllreduceMode: String, CaseIterable, Codable {
    /// One allreduce of the whole gradient buffer after backward.
    case fused
    /// Buckets of the buffer, each started while backward is still computing earlier layers.
    case bucketed
}

/// What the gradient allreduce sends (`--compress`).
public enum GradientCompression: String, CaseIterable, Codable {
    /// 32-bit floats.
    case none
    /// IEEE halves, added in float (HalfPrecision): half the bytes, about 3 significant digits.
    case fp16
}

/// Makes one network's gradients the same on every rank: an in-place allreduce-sum of its
/// flat gradient buffer. The trainer scales each rank's loss gradient by 1/size beforehand,
/// so the sum is the gradient of the loss averaged over the global batch, with no second
/// pass over the buffer.
///
/// Bucketed: backward produces gradients last layer first, and the buffer holds layers in
/// order, so its tail is final first. The buffer is cut at layer boundaries into buckets of
/// at least `bucketBytes`, from the end; a bucket's allreduce starts as soon as the
/// backward of its lowest layer is done (Network.backward's `afterLayer` hook). Every
/// element is reduced exactly as in one fused call, so on two ranks fused and bucketed
/// give the same bits. Each bucket is an MPI_Iallreduce, which the training thread moves
/// forward with MPI_Testall after every layer, since OpenMPI advances non-blocking
/// collectives only inside MPI calls. (A communication thread running blocking allreduces
/// was measured against this and removed: docs/scaling.md.)
///
/// fp16: the floats of a bucket are encoded to halves just before it is sent (into a half
/// buffer of the same layout, allocated once), and the whole buffer is decoded after the
/// last wait.
public final class GradientSynchronizer {
    struct Bucket {
        let range: Range<Int>
        /// The lowest layer whose parameters are in the bucket.
        let firstLayer: Int
    }

    public struct Configuration {
        public var mode: AllreduceMode
        public var compression: GradientCompression
        public var bucketBytes: Int

        public init(mode: AllreduceMode, compression: GradientCompression, bucketBytes: Int) {
            self.mode = mode
            self.compression = compression
            self.bucketBytes = bucketBytes
        }

        /// In words, e.g. "bucketed 1 MB, compress none".
        public var summary: String {
            let megabytes = Double(bucketBytes) / 1e6
            let size = megabytes == megabytes.rounded() ? String(Int(megabytes)) : String(megabytes)
            return mode == .fused ? "fused, compress \(compression.rawValue)"
                : "bucketed \(size) MB, compress \(compression.rawValue)"
        }
    }

    public let configuration: Configuration
    let buckets: [Bucket]
    private let gradients: FloatBuffer
    private let communicator: Communicator
    /// The wire copy of the gradients under `--compress fp16` on more than one rank.
    private let halves: UnsafeMutablePointer<UInt16>?
    /// One request per bucket.
    private let requests: RequestSlots
    private var started = 0
    private var failure: Error?
    /// When each bucket's allreduce started and completed in the last pass (Clock readings;
    /// an end of 0: not yet seen complete), for `--timeline`. Allocated once.
    public let bucketStarts: UnsafeMutablePointer<Double>
    public let bucketEnds: UnsafeMutablePointer<Double>
    public var bucketCount: Int { buckets.count }

    /// Synchronises `network`'s gradient buffer, with bucket boundaries at its layers.
    /// Performs no collective operation (it runs in a setup stage, see Job).
    public convenience init(network: Network, communicator: Communicator, configuration: Configuration) {
        let layers = network.layers.indices.map { i in
            network.parameterOffsets[i]..<(network.parameterOffsets[i] + network.layers[i].parameterCount)
        }
        self.init(gradients: network.gradients, layers: layers, communicator: communicator, configuration: configuration)
    }

    /// Synchronises `gradients`, whose layers (in the order of the forward pass, some
    /// possibly empty) hold `layers`, which tile the buffer.
    public init(gradients: FloatBuffer, layers: [Range<Int>], communicator: Communicator, configuration: Configuration) {
        self.gradients = gradients
        self.communicator = communicator
        self.configuration = configuration
        let count = gradients.count
        if configuration.mode == .fused {
            buckets = [Bucket(range: 0..<count, firstLayer: 0)]
        } else {
            var buckets: [Bucket] = []
            var end = count
            for (i, layer) in layers.enumerated().reversed() where !layer.isEmpty {
                if (end - layer.lowerBound) * MemoryLayout<Float>.stride >= configuration.bucketBytes || i == 0 {
                    buckets.append(Bucket(range: layer.lowerBound..<end, firstLayer: i))
                    end = layer.lowerBound
                }
            }
            if end > 0 { buckets.append(Bucket(range: 0..<end, firstLayer: 0)) }
            self.buckets = buckets
        }
        requests = RequestSlots(count: buckets.count)
        // One rank sends nothing, so its gradients stay exact floats.
        halves = configuration.compression == .fp16 && communicator.size > 1 ? .allocate(capacity: max(count, 1)) : nil
        bucketStarts = .allocate(capacity: buckets.count)
        bucketEnds = .allocate(capacity: buckets.count)
        bucketStarts.initialize(repeating: 0, count: buckets.count)
        bucketEnds.initialize(repeating: 0, count: buckets.count)
    }

    deinit {
        halves?.deallocate()
        bucketStarts.deallocate()
        bucketEnds.deallocate()
    }

    /// Network.backward's `afterLayer` hook: starts every bucket whose layers are all done.
    public func layerDone(_ layer: Int) {
        guard configuration.mode == .bucketed, failure == nil else { return }
        do {
            while started < buckets.count && buckets[started].firstLayer >= layer {
                try start(started)
                started += 1
            }
            try communicator.progress(requests)
            noteCompletedBuckets()
        } catch {
            failure = error
        }
    }

    /// Stamps the end of every started bucket whose request MPI has completed.
    private func noteCompletedBuckets() {
        for i in 0..<started where bucketEnds[i] == 0 && requests.isDone(i) { bucketEnds[i] = Clock.now() }
    }

    /// After the backward pass that completed the gradients (with `layerDone` as its hook):
    /// fused, one blocking MPI_Allreduce of the whole buffer (with libnbc's default
    /// algorithm MPI_Iallreduce was 2–2.6× slower on shared memory, docs/scaling.md);
    /// bucketed, rethrows an error `layerDone` met, starts the buckets not yet started,
    /// waits until every one is reduced (under fp16, decodes the whole buffer then), and is
    /// ready for the next pass.
    public func finish() throws {
        if configuration.mode == .fused {
            bucketStarts[0] = Clock.now()
            try reduceAll()
            bucketEnds[0] = Clock.now()
            return
        }
        if let failure { throw failure }
        while started < buckets.count {
            try start(started)
            started += 1
        }
        noteCompletedBuckets()
        try communicator.waitAll(requests)
        let now = Clock.now()
        for i in 0..<buckets.count where bucketEnds[i] == 0 { bucketEnds[i] = now }
        if let halves { HalfPrecision.decode(halves, into: gradients.pointer, count: gradients.count) }
        started = 0
    }

    /// Starts bucket `index`'s MPI_Iallreduce.
    private func start(_ index: Int) throws {
        (bucketStarts[index], bucketEnds[index]) = (Clock.now(), 0)
        let range = buckets[index].range, floats = gradients.pointer + range.lowerBound
        if let halves {
            HalfPrecision.encode(floats, into: halves + range.lowerBound, count: range.count)
            try communicator.startAllreduce(halves: halves + range.lowerBound, count: range.count, slot: index, of: requests)
        } else {
            try communicator.startAllreduce(floats, count: range.count, slot: index, of: requests)
        }
    }

    /// The fused allreduce: one blocking call over the whole buffer.
    private func reduceAll() throws {
        let floats = gradients.pointer, count = gradients.count
        guard let halves else { return try communicator.allreduce(floats, count: count, op: .sum) }
        HalfPrecision.encode(floats, into: halves, count: count)
        try communicator.allreduce(halves: halves, count: count)
        HalfPrecision.decode(halves, into: floats, count: count)
    }
}
