/// Maxout units (Goodfellow et al. 2013): each output channel is the largest of `pieces`
/// consecutive input channels, y[u] = max_q x[u·pieces + q], at every sample and position.
/// Following a Linear (or Conv2d) of `units · pieces` outputs, it is the maxout layer of
/// PacGAN's discriminator; it has no parameters of its own.
///
/// Piecewise linear: backward routes each output gradient to the piece that won the forward
/// max (the first one on a tie), found again from the input rather than stored, so the layer
/// keeps no state between passes. A second-order backward (a gradient penalty's) routes the
/// same way.
public final class Maxout: ParameterFreeLayer {
    public let inputShape: Shape
    public let outputShape: Shape
    public let pieces: Int

    public init(_ output: Shape, pieces: Int) {
        precondition(output.count > 0, "Maxout: shape \(output) is empty")
        precondition(pieces >= 1, "Maxout: needs at least one piece, got \(pieces)")
        outputShape = output
        inputShape = Shape(channels: output.channels * pieces, height: output.height, width: output.width)
        self.pieces = pieces
    }

    public var summary: String { "Maxout(\(pieces) pieces)" }
    public var backwardReadsOutput: Bool { false }

    /// The piece `q` whose input channel u·pieces + q holds the largest value of unit u at
    /// `index` (sample and position within a channel of `stride` values); the first on a tie.
    @inline(__always)
    private func winner(_ input: UnsafePointer<Float>, unit: Int, index: Int, stride: Int) -> Int {
        let first = input + unit * pieces * stride + index
        var best = 0, largest = first[0]
        for q in 1..<pieces where first[q * stride] > largest {
            best = q
            largest = first[q * stride]
        }
        return best
    }

    /// Calls `body(inputOffset, outputOffset)` for every output value and the input value that
    /// won its max: the routing that forward, backward and the backward of backward share.
    @inline(__always)
    private func forEachWinner(_ input: UnsafePointer<Float>, batch: Int, _ body: (Int, Int) -> Void) {
        let stride = batch * outputShape.spatial  // floats per channel, channel-major
        for u in 0..<outputShape.channels {
            for index in 0..<stride {
                let q = winner(input, unit: u, index: index, stride: stride)
                body((u * pieces + q) * stride + index, u * stride + index)
            }
        }
    }

    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
        forEachWinner(input, batch: batch) { from, to in output[to] = input[from] }
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                         outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
                         batch: Int, accumulateParameterGradients: Bool) {
        guard let inputGradient else { return }
        inputGradient.update(repeating: 0, count: inputShape.count * batch)
        forEachWinner(input, batch: batch) { to, from in inputGradient[to] = outputGradient[from] }
    }

    public var hasBackwardOfBackward: Bool { true }

    /// backward is linear in the output gradient, a selection by the winners: its own backward
    /// selects the same way, from the input gradient's adjoint back to the output gradient's.
    /// No parameters, and no term in x between kinks.
    public func backwardOfBackward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                                   outputGradient: UnsafePointer<Float>, inputGradientAdjoint: UnsafePointer<Float>,
                                   outputGradientAdjoint: UnsafeMutablePointer<Float>?, batch: Int) {
        guard let outputGradientAdjoint else { return }
        forEachWinner(input, batch: batch) { from, to in outputGradientAdjoint[to] = inputGradientAdjoint[from] }
    }
}
