/// The gradient of a squared input-gradient norm with respect to a network's parameters:
/// what the R1 penalty (γ/2)·E‖∇ₓD(x)‖² (Mescheder et al. 2018) adds to D's gradient
/// (docs/stabilisers.md).
///
/// For the batch of the network's latest forward pass, with one output per sample (a packed
/// group of samples counts as one: after a Pack layer, the layers see fewer, larger samples):
///
///     1. backward of a seed of ones, keeping every layer's input gradient:
///        g_L = 1, g_i = backward_i(g_{i+1}), and g_0 = ∇ₓD(x) per sample;
///     2. P = Σ_n ‖g_0[n]‖², and its adjoint ḡ_0 = scale · 2·g_0;
///     3. the backward of that backward, first layer to last: layer i takes ḡ_i, adds
///        scale · dP/dθ_i to the gradient buffer and gives ḡ_{i+1} to the next layer.
///
/// P depends on the input activations only through the layers' Jacobians, which are constant
/// between kinks for every layer that has a backward of its backward (Layer), so there is no
/// third pass carrying adjoints of activations back through the forward pass.
///
/// The input gradients of step 1 are kept in buffers allocated here, when the penalty is
/// made; steps 1 and 3 use the network's scratch space as backward does. Nothing allocates
/// per call.
public final class GradientPenalty {
    public let network: Network
    /// g_i for i = 0..<L (layer i's input gradient), then the seed g_L: ones.
    private let layerGradients: [FloatBuffer]

    /// The first layer of `layers` without a backward of its backward, if any.
    public static func unsupportedLayer(in layers: [Layer]) -> (index: Int, layer: Layer)? {
        layers.enumerated().first { !$0.element.hasBackwardOfBackward }.map { (index: $0.offset, layer: $0.element) }
    }

    /// Floats a penalty for a network of `layers` at `batch` allocates.
    public static func bufferFloats(layers: [Layer], batch: Int) -> Int {
        let batches = Network.layerBatches(layers, batch: batch)
        return zip(layers, batches).reduce(0) { $0 + $1.0.inputShape.count * $1.1 }
            + layers.last!.outputShape.count * layers.last!.outputBatch(forInput: batches.last!)
    }

    public init(network: Network) {
        precondition(Self.unsupportedLayer(in: network.layers) == nil,
                     "\(network.name): a gradient penalty needs every layer's backward of its backward")
        precondition(network.outputShape.count == 1, "\(network.name): a gradient penalty needs one output per sample")
        self.network = network
        let outputs = network.outputBatchSize
        layerGradients = zip(network.layers, network.layerBatches).map { FloatBuffer(count: $0.inputShape.count * $1) }
            + [FloatBuffer(count: outputs)]
        layerGradients.last!.load(Array(repeating: 1, count: outputs))
    }

    /// Floats this penalty allocated (`bufferFloats`).
    public var allocatedFloats: Int { layerGradients.reduce(0) { $0 + $1.count } }

    /// Adds `scale` · dP/dθ into the network's gradients, P = Σ_n ‖∇ₓD(x_n)‖² over the
    /// (packed) samples x_n of the latest forward pass (which must have been in a mode where each sample's output
    /// depends on that sample alone: no batch statistics), and returns P.
    @discardableResult
    public func accumulateGradient(scale: Float) -> Double {
        guard let input = network.lastInput else { preconditionFailure("\(network.name): gradient penalty before forward") }
        network.rebindIfScratchMoved()
        let layers = network.layers, outputs = network.outputs, batches = network.layerBatches
        func layerInput(_ i: Int) -> UnsafePointer<Float> { i == 0 ? input : UnsafePointer(outputs[i - 1]) }

        // 1. g_i = backward_i(g_{i+1}) from the seed g_L = 1.
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            layers[i].backward(input: layerInput(i), output: UnsafePointer(outputs[i]),
                               outputGradient: layerGradients[i + 1].pointer, inputGradient: layerGradients[i].pointer,
                               batch: batches[i], accumulateParameterGradients: false)
        }

        // 2. P = Σ ‖g_0‖², and ḡ_0 = scale · dP/dg_0 = scale · 2·g_0.
        let inputGradient = layerGradients[0]
        var adjoint = network.scratch.gradientBuffer(avoiding: inputGradient.pointer)
        var penalty = 0.0
        for j in 0..<inputGradient.count {
            let g = inputGradient[j]
            penalty += Double(g) * Double(g)
            adjoint[j] = 2 * scale * g
        }

        // 3. The backward of the backward, first layer to last.
        for i in layers.indices {
            let next = i < layers.count - 1 ? network.scratch.gradientBuffer(avoiding: adjoint) : nil
            layers[i].backwardOfBackward(input: layerInput(i), output: UnsafePointer(outputs[i]),
                                         outputGradient: layerGradients[i + 1].pointer,
                                         inputGradientAdjoint: adjoint, outputGradientAdjoint: next, batch: batches[i])
            if let next { adjoint = next }
        }
        return penalty
    }
}
