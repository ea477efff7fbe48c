/// Fully connected layer: y = W x + b, with W stored `out × in` (row-major) followed by b.
///
/// On the channel-major layout the batch is a matrix X of `in × N`, so the forward pass is
/// one GEMM, Y (out × N) = W · X, plus the bias broadcast along each row.
public final class Linear: Layer {
    public let inputShape: Shape
    public let outputShape: Shape
    public let inFeatures: Int
    public let outFeatures: Int
    public let hasBias: Bool

    private var weight: UnsafeMutablePointer<Float>!
    private var weightGradient: UnsafeMutablePointer<Float>!

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.hasBias = bias
        inputShape = Shape(channels: inFeatures)
        outputShape = Shape(channels: outFeatures)
    }

    public var parameterCount: Int { outFeatures * inFeatures + (hasBias ? outFeatures : 0) }
    public var parameterTensors: [ParameterTensor] {
        ParameterTensor.weightAndBias(weightCount: outFeatures * inFeatures, outputs: outFeatures, hasBias: hasBias, fanIn: inFeatures)
    }
    public var summary: String { "Linear(\(inFeatures)→\(outFeatures)\(hasBias ? "" : ", no bias"))" }
    public var forwardMultiplyAddsPerSample: Int { inFeatures * outFeatures }
    public var backwardReadsOutput: Bool { false }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>,
                     state: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) {
        weight = parameters
        weightGradient = gradients
    }

    private var bias: UnsafeMutablePointer<Float> { weight + outFeatures * inFeatures }
    private var biasGradient: UnsafeMutablePointer<Float> { weightGradient + outFeatures * inFeatures }

    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
        sgemm(m: outFeatures, n: batch, k: inFeatures, a: weight, b: input, c: output)
        if hasBias { addChannelBias(bias, to: output, channels: outFeatures, count: batch) }
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                         outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
                         batch: Int, accumulateParameterGradients: Bool) {
        if accumulateParameterGradients {
            // dW (out × in) += dY (out × N) · Xᵀ (N × in)
            sgemm(transposeB: true, m: outFeatures, n: inFeatures, k: batch,
                  a: outputGradient, b: input, beta: 1, c: weightGradient)
            if hasBias {
                // Summed in Float, unlike the convolutions' Double (accumulateChannelSums): a
                // batch of at most a few hundred, and changing it would change every mlp run.
                for o in 0..<outFeatures {
                    let row = outputGradient + o * batch
                    var sum: Float = 0
                    for n in 0..<batch { sum += row[n] }
                    biasGradient[o] += sum
                }
            }
        }
        if let inputGradient {
            // dX (in × N) = Wᵀ (in × out) · dY (out × N)
            sgemm(transposeA: true, m: inFeatures, n: batch, k: outFeatures,
                  a: weight, b: outputGradient, c: inputGradient)
        }
    }

    // Backward of backward: backward computed dX = Wᵀ·dY, linear in W and in dY and free of
    // X and b. For an adjoint A of dX, S = ⟨A, Wᵀ·dY⟩ = ⟨W·A, dY⟩, so dS/d(dY) = W·A (the
    // forward map without its bias) and dS/dW = dY·Aᵀ; the bias gets nothing.
    public var hasBackwardOfBackward: Bool { true }

    public func backwardOfBackward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                                   outputGradient: UnsafePointer<Float>, inputGradientAdjoint: UnsafePointer<Float>,
                                   outputGradientAdjoint: UnsafeMutablePointer<Float>?, batch: Int) {
        // dW (out × in) += dY (out × N) · Aᵀ (N × in)
        sgemm(transposeB: true, m: outFeatures, n: inFeatures, k: batch,
              a: outputGradient, b: inputGradientAdjoint, beta: 1, c: weightGradient)
        if let outputGradientAdjoint {
            // dS/d(dY) (out × N) = W (out × in) · A (in × N)
            sgemm(m: outFeatures, n: batch, k: inFeatures, a: weight, b: inputGradientAdjoint, c: outputGradientAdjoint)
        }
    }
}
