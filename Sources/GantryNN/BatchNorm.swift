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
/// Both passes run as "per-channel sums" → "apply", with the sums in one contiguous buffer,
/// each loop over the channels split over the rank's threads.
/// With a `replicaReducer` (SyncBatchNorm, `gantry train --sync-bn`) those sums are summed
/// over all ranks before they are applied, so every rank normalises with the statistics of
/// the global batch, exactly as one rank holding the whole batch would.
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
    /// Set for SyncBatchNorm: sums the statistics over the replicas in training mode.
    public var replicaReducer: ReplicaReducer?
    /// The threads the per-channel loops are split over (each channel is one worker's whole,
    /// so the results do not depend on their number).
    private let workers = WorkerPool.shared

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
    /// Backward works from the input and the saved statistics.
    public var backwardReadsOutput: Bool { false }

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
            workers.forEachPart(of: channels) { part, _ in
                for c in part {
                    let x = input + c * m
                    (sums[c], sums[channels + c]) = sumsInDouble(x, x, count: m)
                }
            }
            useBatchStatistics(count: sumOverReplicas(count: m))
        } else {
            for c in 0..<channels {
                savedMean[c] = runningMean[c]
                savedInverseStd[c] = 1 / (runningVariance[c] + epsilon).squareRoot()
            }
        }
        usedBatchStatistics = training

        // y = γ·(x − μ)·invstd + β, folded into one multiply-add per value.
        workers.forEachPart(of: channels) { part, _ in
            for c in part {
                let a = scale[c] * savedInverseStd[c]
                let b = shift[c] - savedMean[c] * a
                let x = input + c * m, y = output + c * m
                for i in 0..<m { y[i] = x[i] * a + b }
            }
        }
    }

    /// Sums `sums` over the replicas when synchronised; returns the number of values they
    /// now cover (this rank's `m`, or the global batch's).
    private func sumOverReplicas(count m: Int) -> Double {
        guard let replicaReducer, replicaReducer.replicaCount > 1 else { return Double(m) }
        replicaReducer.sumOverReplicas(sums, count: 2 * channels)
        return Double(m * replicaReducer.replicaCount)
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
        workers.forEachPart(of: channels) { part, _ in
            for c in part {
                let x = input + c * m, dy = outputGradient + c * m
                (sums[c], sums[channels + c]) = sumsInDouble(dy, x, shift: savedMean[c], scale: savedInverseStd[c], count: m)
            }
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
        // dx needs the sums of the batch the statistics came from: the global one when synced.
        // Each rank's dy is its share of the gradient of the global mean loss (the trainer
        // scales each rank's loss gradient by 1/k), so dx keeps the same form.
        let count = usedBatchStatistics ? sumOverReplicas(count: m) : Double(m)

        // dx = γ·invstd/M · (M·dy − Σdy − x̂·Σ(dy·x̂)). With running statistics (eval) μ and σ
        // are constants, so the two terms through them vanish: dx = γ·invstd·dy.
        workers.forEachPart(of: channels) { part, _ in
            for c in part {
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
}

/// Σu and Σu·ŵ over `count` values, accumulated in Double, with ŵ = (w − shift)·scale in
/// Float: the per-channel sums of BatchNorm, Σx and Σx² in forward (u = w = x), Σdy and
/// Σdy·x̂ in backward (u = dy, w = x, x̂ = (x − μ)·invstd). Eight running sums in four-lane
/// Double vectors keep the loop vectorised (one running sum would be one dependent add per
/// value); only the order of the additions differs from summing one value at a time.
@inline(__always)
func sumsInDouble(_ u: UnsafePointer<Float>, _ w: UnsafePointer<Float>, shift: Float = 0, scale: Float = 1,
                  count: Int) -> (Double, Double) {
    var sumLow = SIMD4<Double>(), sumHigh = SIMD4<Double>(), productLow = SIMD4<Double>(), productHigh = SIMD4<Double>()
    let shifts = SIMD8(repeating: shift), scales = SIMD8(repeating: scale)
    let whole = count / 8 * 8
    var i = 0
    while i < whole {
        let ui = UnsafeRawPointer(u + i).loadUnaligned(as: SIMD8<Float>.self)
        let wi = (UnsafeRawPointer(w + i).loadUnaligned(as: SIMD8<Float>.self) - shifts) * scales
        let uLow = SIMD4<Double>(ui.lowHalf), uHigh = SIMD4<Double>(ui.highHalf)
        sumLow += uLow
        sumHigh += uHigh
        productLow += uLow * SIMD4<Double>(wi.lowHalf)
        productHigh += uHigh * SIMD4<Double>(wi.highHalf)
        i += 8
    }
    var sum = (sumLow + sumHigh).sum(), product = (productLow + productHigh).sum()
    for j in whole..<count {
        sum += Double(u[j])
        product += Double(u[j]) * Double((w[j] - shift) * scale)
    }
    return (sum, product)
}
