import GantryMPI
import GantryNN

/// How the gradient allreduce is organised (`gantry train --allreduce`).
public enum AllreduceMode: String, CaseIterable, Codable {
    /// One allreduce of the whole gradient buffer after backward.
    case fused
    /// Buckets of the buffer, each started while backward is still computing earlier layers.
    case bucketed
}

/// What moves a bucketed allreduce forward while backward computes (`--overlap`).
public enum OverlapEngine: String, CaseIterable, Codable {
    /// MPI_Iallreduce per bucket; the training thread calls MPI_Testall after every layer,
    /// since OpenMPI advances non-blocking collectives only inside MPI calls.
    case poll
    /// A communication thread runs a blocking MPI_Allreduce per bucket, on a communicator
    /// of its own, while the training thread computes.
    case thread
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
/// give the same bits, whichever engine overlaps the buckets.
///
/// fp16: the floats of a bucket are encoded to halves just before it is sent (into a half
/// buffer of the same layout, allocated once) and decoded once reduced: per bucket on the
/// communication thread, the whole buffer after the last wait under poll.
public final class GradientSynchronizer {
    struct Bucket {
        let range: Range<Int>
        /// The lowest layer whose parameters are in the bucket.
        let firstLayer: Int
    }

    public struct Configuration {
        public var mode = AllreduceMode.fused
        public var overlap = OverlapEngine.poll
        public var compression = GradientCompression.none
        public var bucketBytes = 1_000_000
        public init() {}
    }

    public let configuration: Configuration
    let buckets: [Bucket]
    private let gradients: FloatBuffer
    private let communicator: Communicator
    /// The wire copy of the gradients under `--compress fp16` on more than one rank.
    private let halves: UnsafeMutablePointer<UInt16>?
    /// `--overlap poll`: one request per bucket.
    private let requests: RequestSlots
    /// `--overlap thread`: the thread, made by `connect`.
    private var thread: CommunicationThread?
    private var started = 0
    private var failure: Error?

    /// Synchronises `network`'s gradient buffer, with bucket boundaries at its layers.
    /// Performs no collective operation (it runs in a setup stage, see Job); `connect` does.
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
    }

    deinit { halves?.deallocate() }

    /// Whether `--overlap thread` is in effect.
    private var usesThread: Bool { configuration.mode == .bucketed && configuration.overlap == .thread && communicator.size > 1 }

    /// Collective setup, called by every rank once before training: under `--overlap
    /// thread`, the thread's own communicator (MPI_Comm_dup) and the thread.
    public func connect() throws {
        guard usesThread, thread == nil else { return }
        guard communicator.allowsConcurrentCalls else {
            throw GantryError("--overlap thread needs an MPI library with MPI_THREAD_MULTIPLE; this one does not provide it (use --overlap poll)")
        }
        let own = try communicator.duplicate()
        thread = CommunicationThread { [unowned self] index in try self.reduce(buckets[index].range, on: own) }
    }

    /// Network.backward's `afterLayer` hook: starts every bucket whose layers are all done.
    public func layerDone(_ layer: Int) {
        guard configuration.mode == .bucketed, failure == nil else { return }
        do {
            while started < buckets.count && buckets[started].firstLayer >= layer {
                try start(started)
                started += 1
            }
            if thread == nil { try communicator.progress(requests) }
        } catch {
            failure = error
        }
    }

    /// After the backward pass that completed the gradients (with `layerDone` as its hook):
    /// fused, one blocking MPI_Allreduce of the whole buffer (with libnbc's default
    /// algorithm MPI_Iallreduce was 2–2.6× slower on shared memory, docs/scaling.md);
    /// bucketed, rethrows an error `layerDone` met, starts the buckets not yet started,
    /// waits until every one is reduced (under fp16 and poll, decodes the whole buffer
    /// then), and is ready for the next pass.
    public func finish() throws {
        if configuration.mode == .fused {
            try reduce(0..<gradients.count, on: communicator)
            return
        }
        if let failure { throw failure }
        while started < buckets.count {
            try start(started)
            started += 1
        }
        if let thread {
            try thread.waitForAll()
            thread.reset()
        } else {
            try communicator.waitAll(requests)
            if let halves { HalfPrecision.decode(halves, into: gradients.pointer, count: gradients.count) }
        }
        started = 0
    }

    /// Starts bucket `index`: hands it to the thread, or starts its MPI_Iallreduce.
    private func start(_ index: Int) throws {
        if let thread { return thread.post() }
        let range = buckets[index].range, floats = gradients.pointer + range.lowerBound
        if let halves {
            HalfPrecision.encode(floats, into: halves + range.lowerBound, count: range.count)
            try communicator.startAllreduce(halves: halves + range.lowerBound, count: range.count, slot: index, of: requests)
        } else {
            try communicator.startAllreduce(floats, count: range.count, slot: index, of: requests)
        }
    }

    /// A blocking allreduce of the gradients in `range` over `comm` (fused, and each bucket
    /// on the communication thread).
    private func reduce(_ range: Range<Int>, on comm: Communicator) throws {
        let floats = gradients.pointer + range.lowerBound
        guard let halves else { return try comm.allreduce(floats, count: range.count, op: .sum) }
        HalfPrecision.encode(floats, into: halves + range.lowerBound, count: range.count)
        try comm.allreduce(halves: halves + range.lowerBound, count: range.count)
        HalfPrecision.decode(halves + range.lowerBound, into: floats, count: range.count)
    }
}
