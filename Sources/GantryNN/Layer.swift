/// The feature shape of one sample: channels × height × width (a vector is `features × 1 × 1`).
public struct Shape: Equatable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int = 1, width: Int = 1) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    public var spatial: Int { height * width }
    public var count: Int { channels * height * width }
    public var description: String { height == 1 && width == 1 ? "\(channels)" : "\(channels)x\(height)x\(width)" }
}

/// What a block of parameters is for, so a model can initialise it (DCGAN: N(0, 0.02)
/// weights, N(1, 0.02) BatchNorm scales, zero shifts) and a checkpoint can name it.
public enum ParameterRole: String {
    case weight, bias, scale, shift
}

/// One named block of a layer's parameters: `count` floats at `offset` within the layer's range.
public struct ParameterTensor {
    public let name: String
    public let role: ParameterRole
    public let offset: Int
    public let count: Int
    /// Inputs feeding one output unit (for fan-in based initialisation).
    public let fanIn: Int

    public init(name: String, role: ParameterRole, offset: Int, count: Int, fanIn: Int) {
        self.name = name
        self.role = role
        self.offset = offset
        self.count = count
        self.fanIn = fanIn
    }
}

extension ParameterTensor {
    /// The usual layout of a linear map: `weightCount` weights, then `outputs` biases if any.
    static func weightAndBias(weightCount: Int, outputs: Int, hasBias: Bool, fanIn: Int) -> [ParameterTensor] {
        let weight = ParameterTensor(name: "weight", role: .weight, offset: 0, count: weightCount, fanIn: fanIn)
        guard hasBias else { return [weight] }
        return [weight, ParameterTensor(name: "bias", role: .bias, offset: weightCount, count: outputs, fanIn: fanIn)]
    }
}

/// A layer with an explicit forward and backward pass.
///
/// Memory layout: activations are channel-major, `(C, N, H, W)`: channel `c` of sample `n`
/// starts at `(c * N + n) * H * W`. A convolution's im2col over the whole batch then yields
/// the GEMM's output directly in this layout, and per-channel statistics (BatchNorm) run over
/// contiguous memory. For a vector (`H = W = 1`) this is a `features × N` matrix.
///
/// A layer owns no parameter memory: the `Network` binds it to a range of one contiguous
/// parameter buffer, the same range of one contiguous gradient buffer, and a range of a
/// state buffer for non-trainable statistics. Scratch memory comes from a workspace shared
/// by all layers of a network (and by the networks sharing its `ScratchSpace`), sized by
/// `workspaceCount(batch:)`; nothing in it survives from one call to the next.
public protocol Layer: AnyObject {
    var inputShape: Shape { get }
    var outputShape: Shape { get }
    /// Trainable floats this layer owns in the network's parameter buffer.
    var parameterCount: Int { get }
    /// Named blocks within this layer's `parameterCount` floats.
    var parameterTensors: [ParameterTensor] { get }
    /// Non-trainable floats (BatchNorm running statistics) kept in the network's state buffer.
    var stateCount: Int { get }
    /// Scratch floats needed for one forward or backward pass over `batch` samples.
    func workspaceCount(batch: Int) -> Int
    /// A short description for model summaries, e.g. "Conv2d(1→64, k4, s2, p1)".
    var summary: String { get }
    /// Multiply-adds of one forward pass for one sample (backward costs about twice that).
    var forwardMultiplyAddsPerSample: Int { get }
    /// Whether `forward` may write its output over its input (the same buffer passed as both),
    /// with `backward` then given that buffer as both `input` and `output`. A network runs
    /// such a layer in place when the layer before it does not read its own output.
    var runsInPlace: Bool { get }
    /// Whether `backward` reads `output`. A layer that does not lets the next one run in place.
    var backwardReadsOutput: Bool { get }
    /// Samples in the output of a pass over `batch` input samples: `batch`, except for a
    /// layer that regroups samples (Pack joins m of them into one). `forward` and `backward`
    /// are always given the input's batch.
    func outputBatch(forInput batch: Int) -> Int

    /// Called by the network before the first pass, and again whenever the shared scratch
    /// space has been reallocated (it grows for a network with a larger batch): this layer's slices of the parameter, gradient and state
    /// buffers (`parameterCount`, `parameterCount` and `stateCount` floats), and the shared
    /// workspace (at least `workspaceCount(batch:)` floats for the network's batch).
    func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>,
              state: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>)

    /// Sets the state (running statistics) to its initial values.
    func resetState()

    /// Computes `output` (outputShape, batch) from `input` (inputShape, batch).
    /// `training` selects batch statistics (and updates running ones) for BatchNorm.
    func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool)

    /// Given dL/d(output), adds dL/d(parameters) into the gradient buffer when
    /// `accumulateParameterGradients`, and writes dL/d(input) into `inputGradient` when it
    /// is not nil. `input` and `output` are the ones of the latest `forward` call.
    func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                  outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
                  batch: Int, accumulateParameterGradients: Bool)

    /// Whether the layer has `backwardOfBackward`, the pass a gradient penalty (R1) needs.
    var hasBackwardOfBackward: Bool { get }

    /// The backward pass of `backward` (docs/stabilisers.md). `backward` maps the output
    /// gradient g_out to the input gradient g_in = J(x)ᵀ·g_out; for a scalar S that depends on
    /// g_in, given its adjoint dS/d(g_in) (`inputGradientAdjoint`), this writes dS/d(g_out)
    /// into `outputGradientAdjoint` (when not nil; the last layer's is not needed) and adds
    /// dS/d(parameters) into the gradient buffer. `outputGradient` is the g_out that
    /// `backward` was given; `input` and `output` are the latest `forward`'s.
    ///
    /// S also depends on the input x through J(x). The layers that have this pass (linear
    /// maps, convolutions and piecewise-linear activations) have a Jacobian that is constant
    /// in x between kinks, so that term is zero almost everywhere and the pass has no output
    /// for it; a layer whose derivative varies smoothly with x (Tanh, BatchNorm) keeps the
    /// default, which marks it unsupported.
    func backwardOfBackward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                            outputGradient: UnsafePointer<Float>, inputGradientAdjoint: UnsafePointer<Float>,
                            outputGradientAdjoint: UnsafeMutablePointer<Float>?, batch: Int)
}

public extension Layer {
    var parameterTensors: [ParameterTensor] { [] }
    var stateCount: Int { 0 }
    func workspaceCount(batch: Int) -> Int { 0 }
    var forwardMultiplyAddsPerSample: Int { 0 }
    var runsInPlace: Bool { false }
    var backwardReadsOutput: Bool { true }
    func outputBatch(forInput batch: Int) -> Int { batch }
    func resetState() {}
    var hasBackwardOfBackward: Bool { false }
    func backwardOfBackward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                            outputGradient: UnsafePointer<Float>, inputGradientAdjoint: UnsafePointer<Float>,
                            outputGradientAdjoint: UnsafeMutablePointer<Float>?, batch: Int) {
        preconditionFailure("\(summary) has no backward of its backward pass (check hasBackwardOfBackward first)")
    }
}

/// A layer that only rearranges or combines its input (Pack, Maxout, MinibatchStddev): no
/// parameters, no state, no workspace, so nothing to bind.
public protocol ParameterFreeLayer: Layer {}

public extension ParameterFreeLayer {
    var parameterCount: Int { 0 }
    func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>,
              state: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) {}
}
