/// Packing (PacGAN, Lin et al. 2018): joins each group of `m` consecutive samples into one
/// sample of `m` times the channels, so that the discriminator judges m samples at once and
/// can see a lack of variety among them.
///
/// Input `(C, N, H, W)` channel-major, output `(m·C, N/m, H, W)`: channel `i·C + c` of packed
/// sample `j` is channel `c` of sample `j·m + i`. Groups are consecutive samples, so when m
/// divides each rank's slice of the global batch, every group lies within one rank and k
/// ranks pack exactly the samples one rank would. A permutation of whole H·W planes: forward
/// copies them one way, backward copies the gradient planes back; no parameters.
public final class Pack: ParameterFreeLayer {
    public let inputShape: Shape
    public let outputShape: Shape
    /// Samples per packed sample (m).
    public let count: Int

    public init(_ shape: Shape, count: Int) {
        precondition(shape.count > 0, "Pack: shape \(shape) is empty")
        precondition(count >= 1, "Pack: needs at least one sample per group, got \(count)")
        inputShape = shape
        outputShape = Shape(channels: shape.channels * count, height: shape.height, width: shape.width)
        self.count = count
    }

    public var summary: String { "Pack(\(count))" }
    public var backwardReadsOutput: Bool { false }

    public func outputBatch(forInput batch: Int) -> Int {
        precondition(batch % count == 0, "Pack(\(count)): a batch of \(batch) does not split into groups of \(count)")
        return batch / count
    }

    /// Calls `body(inputOffset, outputOffset)` for every H·W plane: input plane (c, j·m + i)
    /// becomes output plane (i·C + c, j).
    @inline(__always)
    private func forEachPlane(batch: Int, _ body: (Int, Int) -> Void) {
        let channels = inputShape.channels, plane = inputShape.spatial, packed = batch / count
        for i in 0..<count {
            for c in 0..<channels {
                for j in 0..<packed {
                    body((c * batch + j * count + i) * plane, ((i * channels + c) * packed + j) * plane)
                }
            }
        }
    }

    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
        let plane = inputShape.spatial
        forEachPlane(batch: batch) { from, to in (output + to).update(from: input + from, count: plane) }
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                         outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
                         batch: Int, accumulateParameterGradients: Bool) {
        guard let inputGradient else { return }
        let plane = inputShape.spatial
        forEachPlane(batch: batch) { to, from in (inputGradient + to).update(from: outputGradient + from, count: plane) }
    }

    public var hasBackwardOfBackward: Bool { true }

    /// backward is the inverse rearrangement of the output gradient; its backward is the
    /// forward rearrangement of the input gradient's adjoint. No parameters, no term in x.
    public func backwardOfBackward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                                   outputGradient: UnsafePointer<Float>, inputGradientAdjoint: UnsafePointer<Float>,
                                   outputGradientAdjoint: UnsafeMutablePointer<Float>?, batch: Int) {
        guard let outputGradientAdjoint else { return }
        forward(input: inputGradientAdjoint, output: outputGradientAdjoint, batch: batch, training: true)
    }
}
