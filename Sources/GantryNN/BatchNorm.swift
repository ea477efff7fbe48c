/// Batch normalisation per channel (PyTorch's BatchNorm1d/BatchNorm2d): y = γ·(x − μ)/√(σ² + ε) + β.
///
/// Training uses the mean and biased variance of the batch, over the `M = N·H·W` values of
/// each channel (contiguous in the channel-major layout), and updates the running statistics
/// like PyTorch: `running = (1 − momentum)·running + momentum·batch`, with the *unbiased*
/// batch variance. Evaluation normalises with the running statistics.
///
/// Parameters: scale γ then shift β, `channels` each. State: running mean then running
/// variance, `channels` each.
///
/// Both passes run as "per-channel sums" → "apply", with the sums in one contiguous buffer
/// so that a SyncBatchNorm can allreduce them (and the count M) across ranks at the marked
/// hook points and then apply exactly the same arithmetic to the global totals.
public final class BatchNorm: Layer {
    public let inputShape: Shape
    public var outputShape: Shape { inputShape }
    public let channels: Int
    public let momentum: Float
    public let epsilon: Float

    private var scale: UnsafeMutablePointer<Float>!
    private var scaleGradient: UnsafeMutablePointer<Float>!
    private var runningMean: UnsafeMutablePointer<Float>!
    private var shift: UnsafeMutablePointer<Float> { scale + channels }
    private var shiftGradient: UnsafeMutablePointer<Float> { scaleGradient + channels }
    private var runningVariance: UnsafeMutablePointer<Float> { runningMean + channels }

    /// Mean and 1/√(σ² + ε) per channel used by the latest forward, kept for backward.
    private let savedMean: FloatBuffer
    private let savedInverseStd: FloatBuffer
    /// Whether the latest forward normalised with batch statistics (training) or running ones.
    private var usedBatchStatistics = false
    /// `2·channels` Doubles: Σx then Σx² in forward, Σdy then Σdy·x̂ in backward.
    private let sums: UnsafeMutablePointer<Double>

    public init(_ shape: Shape, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        precondition(shape.count > 0, "BatchNorm: shape \(shape) is empty")
        precondition(momentum >= 0 && momentum <= 1, "BatchNorm: momentum must be in [0, 1] (got \(momentum))")
        precondition(epsilon > 0, "BatchNorm: epsilon must be positive (got \(epsilon))")
        inputShape = shape
        channels = shape.channels
        self.momentum = momentum
        self.epsilon = epsilon
        savedMean = FloatBuffer(count: channels)
        savedInverseStd = FloatBuffer(count: channels)
        sums = .allocate(capacity: 2 * channels)
        sums.initialize(repeating: 0, count: 2 * channels)
    }

    deinit { sums.deallocate() }

    public var parameterCount: Int { 2 * channels }
    /// Each output depends on one input value, hence fan-in 1.
    public var parameterTensors: [ParameterTensor] {
        [ParameterTensor(name: "scale", role: .scale, offset: 0, count: channels, fanIn: 1),
         ParameterTensor(name: "shift", role: .shift, offset: channels, count: channels, fanIn: 1)]
    }
    public var stateCount: Int { 2 * channels }
    public var summary: String { "BatchNorm(\(channels))" }
    public var forwardMultiplyAddsPerSample: Int { inputShape.count }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>,
                     state: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) {
        scale = parameters
        scaleGradient = gradients
        runningMean = state
    }

    public func resetState() {
        runningMean.update(repeating: 0, count: channels)
        runningVariance.update(repeating: 1, count: channels)
    }

    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
        let m = batch * inputShape.spatial
        if training {
            precondition(m > 1, "BatchNorm: training needs more than one value per channel (got \(m))")
            for c in 0..<channels {
                let x = input + c * m
                var sum = 0.0, sumOfSquares = 0.0
                for i in 0..<m {
                    let value = Double(x[i])
                    sum += value
                    sumOfSquares += value * value
                }
                sums[c] = sum
                sums[channels + c] = sumOfSquares
            }
            // SyncBatchNorm hook: allreduce `sums` and M across ranks here.
            useBatchStatistics(count: Double(m))
        } else {
            for c in 0..<channels {
                savedMean[c] = runningMean[c]
                savedInverseStd[c] = 1 / (runningVariance[c] + epsilon).squareRoot()
            }
        }
        usedBatchStatistics = training

        // y = γ·(x − μ)·invstd + β, folded into one multiply-add per value.
        for c in 0..<channels {
            let a = scale[c] * savedInverseStd[c]
            let b = shift[c] - savedMean[c] * a
            let x = input + c * m, y = output + c * m
            for i in 0..<m { y[i] = x[i] * a + b }
        }
    }

    /// Turns the sums Σx, Σx² over `count` values per channel into the saved mean and inverse
    /// standard deviation, and moves the running statistics towards them.
    private func useBatchStatistics(count: Double) {
        let keep = 1 - momentum
        for c in 0..<channels {
            let mean = sums[c] / count
            let variance = max(sums[channels + c] / count - mean * mean, 0)   // biased, for normalising
            savedMean[c] = Float(mean)
            savedInverseStd[c] = Float(1 / (variance + Double(epsilon)).squareRoot())
            let unbiased = variance * count / (count - 1)
            runningMean[c] = keep * runningMean[c] + momentum * Float(mean)
            runningVariance[c] = keep * runningVariance[c] + momentum * Float(unbiased)
        }
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                         outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
                         batch: Int, accumulateParameterGradients: Bool) {
        let m = batch * inputShape.spatial
        for c in 0..<channels {
            let x = input + c * m, dy = outputGradient + c * m
            let mean = savedMean[c], inverseStd = savedInverseStd[c]
            var sumDy = 0.0, sumDyXHat = 0.0
            for i in 0..<m {
                let g = Double(dy[i])
                sumDy += g
                sumDyXHat += g * Double((x[i] - mean) * inverseStd)
            }
            sums[c] = sumDy
            sums[channels + c] = sumDyXHat
        }
        // Parameter gradients come from this rank's own sums: the network's gradient
        // allreduce combines the ranks' contributions.
        if accumulateParameterGradients {
            for c in 0..<channels {
                scaleGradient[c] += Float(sums[channels + c])
                shiftGradient[c] += Float(sums[c])
            }
        }
        guard let inputGradient else { return }
        // SyncBatchNorm hook: allreduce `sums` and M across ranks here (dx needs the global batch's sums).

        // dx = γ·invstd/M · (M·dy − Σdy − x̂·Σ(dy·x̂)). With running statistics (eval) μ and σ
        // are constants, so the two terms through them vanish: dx = γ·invstd·dy.
        let count = Double(m)
        for c in 0..<channels {
            let mean = savedMean[c], inverseStd = savedInverseStd[c]
            let a = scale[c] * inverseStd
            let meanDy = usedBatchStatistics ? Float(sums[c] / count) : 0
            let meanDyXHat = usedBatchStatistics ? Float(sums[channels + c] / count) : 0
            let x = input + c * m, dy = outputGradient + c * m, dx = inputGradient + c * m
            for i in 0..<m {
                let xHat = (x[i] - mean) * inverseStd
                dx[i] = a * (dy[i] - meanDy - xHat * meanDyXHat)
            }
        }
    }
}
