import COneDNN
import Synchronization

/// A Conv2d's or ConvTranspose2d's passes run by oneDNN (COneDNN.h), on the layer's own
/// (C, N, H, W) tensors: each worker hands oneDNN its contiguous run of samples, which oneDNN
/// reads and writes through strided views, converting to and from its blocked layouts in the
/// worker's arena (part of the layer's workspace).
///
/// oneDNN's primitives are built for one shape, so there is one plan per (worker, samples,
/// batch): the samples of a worker's piece and the batch whose stride the channels have. A
/// plan's memory objects point at one call's tensors at a time, so workers never share one.
/// The plans a training step needs are built in its first step (and one for the workspace
/// size, when the network is built); none is built or freed in later steps.
///
/// A worker's part goes to oneDNN in equal pieces whose arena (the piece's input and output
/// and the weights, in blocked layouts) fits `chunkFloats`, one whole im2col chunk per
/// worker: the workspace is then bounded whatever the batch, and so is the peak resident
/// set.
final class OneDNNConvolution {
    /// Fewer channels than this on either side and a blocked layout (16 channels per block on
    /// AVX-512) is mostly padding: oneDNN measured slower than Gantry's own code there
    /// (docs/performance.md#onednn-as-the-convolution-backend).
    static let minimumChannels = 16

    private let transposed: Bool
    private let input: Shape, output: Shape
    private let kernel: Int, stride: Int, padding: Int
    private let workers: WorkerPool
    /// The floats of arena each worker may use: `WindowGeometry.defaultChunkFloats` (4 MB)
    /// when the layer is built, not divided among the workers as im2col's chunk is. The best
    /// piece is a matter of the core's caches and of the weights, which every piece converts
    /// again, not of how many cores there are: at 2 threads, dcgan28's 64→128 layer in
    /// pieces of 16 samples (a shared budget) made the iteration 5 % slower than in pieces of
    /// 32, and pieces of 64 at 1 thread (a doubled budget) 3 % slower
    /// (docs/performance.md#how-a-layer-uses-it). The workspace is then at most `threads` ×
    /// 4 MB, and never more than the batch's share.
    private let chunkFloats: Int
    private let plans = Mutex<[PlanKey: Plan]>([:])

    private struct PlanKey: Hashable { let worker: Int, samples: Int, batch: Int }
    /// A plan owns its oneDNN objects; only its worker uses it, `plans` guards the dictionary.
    private final class Plan: @unchecked Sendable {
        let handle: OpaquePointer
        let arenaFloats: Int
        init(handle: OpaquePointer) {
            self.handle = handle
            arenaFloats = gantry_onednn_arena_floats(handle)
        }
        deinit { gantry_onednn_destroy(handle) }
    }

    /// The oneDNN version of a layer, or nil when the layer should keep Gantry's code: too
    /// few channels, a 1×1 image on either side (dcgan's noise projection, a plain GEMM that
    /// OpenBLAS does faster), or oneDNN has only its reference implementation for the shape
    /// on this CPU.
    init?(transposed: Bool, input: Shape, output: Shape, kernel: Int, stride: Int, padding: Int, workers: WorkerPool) {
        guard min(input.channels, output.channels) >= Self.minimumChannels,
              min(input.spatial, output.spatial) > 1 else { return nil }
        self.transposed = transposed
        self.input = input
        self.output = output
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.workers = workers
        chunkFloats = WindowGeometry.defaultChunkFloats
        var why = [CChar](repeating: 0, count: 256)
        guard gantry_onednn_supported(shape(samples: 1, batch: 1), &why, why.count) != 0 else { return nil }
    }

    private func shape(samples: Int, batch: Int) -> gantry_onednn_shape {
        gantry_onednn_shape(transposed: transposed ? 1 : 0, samples: Int32(samples), batch: Int32(batch),
                            in_channels: Int32(input.channels), in_height: Int32(input.height), in_width: Int32(input.width),
                            out_channels: Int32(output.channels), out_height: Int32(output.height),
                            out_width: Int32(output.width), kernel: Int32(kernel), stride: Int32(stride),
                            padding: Int32(padding))
    }

    /// Samples per piece when `batch` samples are split over the workers.
    func pieceSamples(batch: Int) -> Int {
        let part = workers.largestPart(of: batch)
        let budget = chunkFloats - input.channels * output.channels * kernel * kernel
        let fitting = max(1, budget / (input.count + output.count))
        let pieces = (part + fitting - 1) / fitting
        return (part + pieces - 1) / pieces
    }

    /// Floats of arena each worker needs when `batch` samples are split over the workers.
    func arenaFloats(batch: Int) -> Int {
        let piece = pieceSamples(batch: batch)
        // Worker 0's own plan for the piece (the arena does not depend on the batch).
        do { return try plan(worker: 0, samples: piece, batch: batch).arenaFloats } catch { preconditionFailure("\(error)") }
    }

    /// y = conv(x, w) for `samples` of a `batch`.
    func forward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                 samples: Range<Int>, batch: Int, worker: Int, arena: UnsafeMutablePointer<Float>) {
        forEachPiece(of: samples, batch: batch, worker: worker) { plan, offset in
            gantry_onednn_forward(plan, x + offset(input), weight, y + offset(output), arena)
        }
    }

    /// A layer's backward pass for `samples` of a `batch`: dx = the input gradient for dy
    /// (overwritten) when `dx` is given, dw += the weight gradient when `dw` is given.
    func backward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                  inputGradient dx: UnsafeMutablePointer<Float>?, addingInto dw: UnsafeMutablePointer<Float>?,
                  samples: Range<Int>, batch: Int, worker: Int, arena: UnsafeMutablePointer<Float>) {
        if let dw { backwardWeights(x, dy, addingInto: dw, samples: samples, batch: batch, worker: worker, arena: arena) }
        if let dx { backwardData(dy, weight: weight, into: dx, samples: samples, batch: batch, worker: worker, arena: arena) }
    }

    /// dx = the input gradient for dy, for `samples` of a `batch` (overwritten).
    private func backwardData(_ dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>,
                      samples: Range<Int>, batch: Int, worker: Int, arena: UnsafeMutablePointer<Float>) {
        forEachPiece(of: samples, batch: batch, worker: worker) { plan, offset in
            gantry_onednn_backward_data(plan, dy + offset(output), weight, dx + offset(input), arena)
        }
    }

    /// dw += the weight gradient of `samples` of a `batch`.
    private func backwardWeights(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, addingInto dw: UnsafeMutablePointer<Float>,
                         samples: Range<Int>, batch: Int, worker: Int, arena: UnsafeMutablePointer<Float>) {
        forEachPiece(of: samples, batch: batch, worker: worker) { plan, offset in
            gantry_onednn_backward_weights(plan, x + offset(input), dy + offset(output), dw, arena)
        }
    }

    /// Runs `call` on each piece of `samples` (`pieceSamples`) with `worker`'s plan and the
    /// offset of its first sample in a (C, N, H, W) tensor of a shape; a failing call is a bug
    /// (shapes were checked when the plan was built), so it stops the rank.
    private func forEachPiece(of samples: Range<Int>, batch: Int, worker: Int,
                              _ call: (OpaquePointer, (Shape) -> Int) -> Int32) {
        let piece = pieceSamples(batch: batch)
        var start = samples.lowerBound
        while start < samples.upperBound {
            let count = min(samples.upperBound - start, piece)
            let plan: Plan
            do { plan = try self.plan(worker: worker, samples: count, batch: batch) } catch { preconditionFailure("\(error)") }
            let status = call(plan.handle) { shape in start * shape.spatial }
            precondition(status == 0, "oneDNN convolution failed (status \(status)) for \(count) of \(batch) samples")
            start += count
        }
    }

    private struct PlanError: Error, CustomStringConvertible { let description: String }

    /// The plan for `samples` of a `batch`, built on first use.
    private func plan(worker: Int, samples: Int, batch: Int) throws -> Plan {
        let key = PlanKey(worker: worker, samples: samples, batch: batch)
        return try plans.withLock { plans in
            if let plan = plans[key] { return plan }
            var why = [CChar](repeating: 0, count: 256)
            guard let handle = gantry_onednn_create(shape(samples: samples, batch: batch), &why, why.count) else {
                throw PlanError(description: String(cString: why))
            }
            let plan = Plan(handle: handle)
            plans[key] = plan
            return plan
        }
    }
}
