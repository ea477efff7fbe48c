/// Minibatch standard deviation (Karras et al. 2018, "Progressive growing of GANs"): appends
/// one channel holding, for each group of `groupSize` consecutive samples, the standard
/// deviation of each feature over the group averaged over all features and positions. The
/// discriminator can then tell a batch of near-identical fakes from a varied real one.
///
/// Input `(C, N, H, W)` channel-major, output `(C + 1, N, H, W)`: channels `0..<C` are the
/// input, channel C of every sample in group g is
///
///     s_g = 1/(C·H·W) · Σ_{c,p} σ_{g,c,p},   σ_{g,c,p} = √(1/G · Σ_{n∈g} (x_{c,n,p} − μ_{g,c,p})² + ε)
///
/// Groups are consecutive samples, so when the group size divides each rank's slice of the
/// global batch, k ranks compute exactly what one rank does.
///
/// Backward: dx = dy (channels 0..<C) + ds_g · ∂s_g/∂x, where ds_g = Σ_{n∈g,p} dy[C, n, p] and
/// ∂s_g/∂x_{c,n,p} = (x_{c,n,p} − μ_{g,c,p}) / (G · σ_{g,c,p} · C·H·W) (the μ terms cancel).
/// μ and σ are computed again in backward instead of kept: a few flops per value.
public final class MinibatchStddev: ParameterFreeLayer {
    public let inputShape: Shape
    public let outputShape: Shape
    public let groupSize: Int
    public static let epsilon = 1e-8

    public init(_ shape: Shape, groupSize: Int = 4) {
        precondition(shape.count > 0, "MinibatchStddev: shape \(shape) is empty")
        precondition(groupSize >= 2, "MinibatchStddev: a group needs at least two samples, got \(groupSize)")
        inputShape = shape
        outputShape = Shape(channels: shape.channels + 1, height: shape.height, width: shape.width)
        self.groupSize = groupSize
    }

    public var summary: String { "MinibatchStddev(group \(groupSize))" }
    public var backwardReadsOutput: Bool { false }

    /// Calls `body(x, μ, σ)` for each channel and position of group `g`, where `x` points at
    /// the group's first sample of that channel and position (the next samples are `plane`
    /// floats apart). Sums in Double.
    @inline(__always)
    private func forEachFeature(_ input: UnsafePointer<Float>, group g: Int, batch: Int,
                                _ body: (UnsafePointer<Float>, Double, Double) -> Void) {
        let plane = inputShape.spatial, size = Double(groupSize)
        for c in 0..<inputShape.channels {
            for p in 0..<plane {
                let x = input + (c * batch + g * groupSize) * plane + p
                var sum = 0.0
                for n in 0..<groupSize { sum += Double(x[n * plane]) }
                let mean = sum / size
                var squares = 0.0
                for n in 0..<groupSize { let d = Double(x[n * plane]) - mean; squares += d * d }
                body(x, mean, (squares / size + Self.epsilon).squareRoot())
            }
        }
    }

    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
        precondition(batch % groupSize == 0, "MinibatchStddev: a batch of \(batch) does not split into groups of \(groupSize)")
        let plane = inputShape.spatial, features = inputShape.count
        output.update(from: input, count: features * batch)
        let extra = output + features * batch  // channel C
        for g in 0..<batch / groupSize {
            var total = 0.0
            forEachFeature(input, group: g, batch: batch) { _, _, sigma in total += sigma }
            (extra + g * groupSize * plane).update(repeating: Float(total / Double(features)), count: groupSize * plane)
        }
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                         outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
                         batch: Int, accumulateParameterGradients: Bool) {
        guard let inputGradient else { return }
        let plane = inputShape.spatial, features = inputShape.count
        inputGradient.update(from: outputGradient, count: features * batch)
        let extraGradient = outputGradient + features * batch
        for g in 0..<batch / groupSize {
            var ds = 0.0
            for i in 0..<groupSize * plane { ds += Double(extraGradient[g * groupSize * plane + i]) }
            let scale = ds / (Double(groupSize) * Double(features))
            forEachFeature(input, group: g, batch: batch) { x, mean, sigma in
                let offset = x - input
                for n in 0..<groupSize {
                    inputGradient[offset + n * plane] += Float(scale * (Double(x[n * plane]) - mean) / sigma)
                }
            }
        }
    }
}
