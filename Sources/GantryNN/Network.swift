/// A chain of layers trained as one unit, built for a fixed batch size.
///
/// All parameters live in one contiguous buffer (`parameters`) and all gradients in another
/// with the same layout (`gradients`), so one allreduce covers the whole network and an
/// optimiser step is one pass over flat memory. Non-trainable state (BatchNorm running
/// statistics) lives in a third buffer (`state`). Activations are allocated here and the
/// layers' workspace and backward buffers reserved in `scratch`, once: forward and backward
/// never allocate.
///
/// A layer that can (`runsInPlace`) writes its output over the previous layer's when that
/// layer's backward does not read its own output: an activation after a convolution or a
/// BatchNorm costs no memory of its own.
public final class Network {
    public let name: String
    public let layers: [Layer]
    /// Samples of the input batch (`forward`'s input holds `inputShape.count · batchSize` floats).
    public let batchSize: Int
    /// Samples each layer's input holds: `batchSize` for all, unless a layer regroups samples (Pack).
    public let layerBatches: [Int]
    public let parameters: FloatBuffer
    public let gradients: FloatBuffer
    public let state: FloatBuffer
    /// Where each layer's parameters start in `parameters` (and its gradients in `gradients`).
    public let parameterOffsets: [Int]
    public let stateOffsets: [Int]
    /// The workspace and backward buffers, shared with other networks (see ScratchSpace).
    public let scratch: ScratchSpace

    private let activations: [FloatBuffer]               // the activation buffers this network owns
    let outputs: [UnsafeMutablePointer<Float>]           // output of layer i: one of `activations`
    private var boundGeneration = -1                     // the scratch generation the layers are bound to
    private(set) var lastInput: UnsafePointer<Float>?

    public var inputShape: Shape { layers.first!.inputShape }
    public var outputShape: Shape { layers.last!.outputShape }
    /// Samples in the output batch (`batchSize`, or fewer after a Pack).
    public var outputBatchSize: Int { layers.last!.outputBatch(forInput: layerBatches.last!) }

    public init(name: String, layers: [Layer], batchSize: Int, scratch: ScratchSpace = .shared) {
        precondition(!layers.isEmpty, "a network needs at least one layer")
        precondition(batchSize > 0, "batch size must be positive")
        for (previous, next) in zip(layers, layers.dropFirst()) {
            precondition(previous.outputShape == next.inputShape,
                         "\(name): \(previous.summary) gives \(previous.outputShape) but \(next.summary) takes \(next.inputShape)")
        }
        self.name = name
        self.layers = layers
        self.batchSize = batchSize
        layerBatches = Self.layerBatches(layers, batch: batchSize)
        self.scratch = scratch

        var parameterOffsets: [Int] = [], stateOffsets: [Int] = []
        var parameterTotal = 0, stateTotal = 0
        for layer in layers {
            parameterOffsets.append(parameterTotal)
            stateOffsets.append(stateTotal)
            parameterTotal += layer.parameterCount
            stateTotal += layer.stateCount
        }
        self.parameterOffsets = parameterOffsets
        self.stateOffsets = stateOffsets
        parameters = FloatBuffer(count: parameterTotal)
        gradients = FloatBuffer(count: parameterTotal)
        state = FloatBuffer(count: stateTotal)

        var activations: [FloatBuffer] = [], outputs: [UnsafeMutablePointer<Float>] = []
        for (i, (layer, owns)) in zip(layers, Self.ownsOutput(layers)).enumerated() {
            if owns {
                activations.append(FloatBuffer(count: layer.outputShape.count * layer.outputBatch(forInput: layerBatches[i])))
                outputs.append(activations.last!.pointer)
            } else {
                outputs.append(outputs[i - 1])
            }
        }
        self.activations = activations
        self.outputs = outputs
        let largestActivation = zip(layers, layerBatches).map { layer, batch in
            max(layer.inputShape.count * batch, layer.outputShape.count * layer.outputBatch(forInput: batch))
        }.max()!
        scratch.reserve(workspace: zip(layers, layerBatches).map { $0.workspaceCount(batch: $1) }.max()!,
                        gradient: largestActivation)
        bindLayers()
        for layer in layers { layer.resetState() }
    }

    /// The batch each layer's input holds when the network's input holds `batch` samples.
    static func layerBatches(_ layers: [Layer], batch: Int) -> [Int] {
        var batches: [Int] = [], current = batch
        for layer in layers {
            batches.append(current)
            current = layer.outputBatch(forInput: current)
        }
        return batches
    }

    /// For each layer, whether it gets an activation buffer of its own (false: it runs in
    /// place, over the previous layer's output). `NetworkFootprint` counts memory by it.
    static func ownsOutput(_ layers: [Layer]) -> [Bool] {
        var owns: [Bool] = []
        var previousOwnsItsOutput = false  // the network's input is not ours to overwrite
        for (i, layer) in layers.enumerated() {
            let inPlace = previousOwnsItsOutput && canRunInPlace(layer, after: layers[i - 1])
            previousOwnsItsOutput = !inPlace
            owns.append(!inPlace)
        }
        return owns
    }

    /// Whether `layer` may overwrite the output of `previous` (a layer that did not run in
    /// place itself, so that buffer is its own): `layer` must allow it, and `previous`'s
    /// backward must not need that output.
    private static func canRunInPlace(_ layer: Layer, after previous: Layer) -> Bool {
        layer.runsInPlace && !previous.backwardReadsOutput && layer.inputShape == layer.outputShape
    }

    /// Gives every layer its slices of the parameter, gradient and state buffers and the
    /// current scratch workspace.
    private func bindLayers() {
        for (i, layer) in layers.enumerated() {
            layer.bind(parameters: parameters.pointer + parameterOffsets[i],
                       gradients: gradients.pointer + parameterOffsets[i],
                       state: state.pointer + stateOffsets[i],
                       workspace: scratch.workspacePointer)
        }
        boundGeneration = scratch.generation
    }

    /// Binds the layers again if the shared scratch space has grown since they were bound.
    func rebindIfScratchMoved() {
        if boundGeneration != scratch.generation { bindLayers() }
    }

    /// Every parameter block with its absolute range in the flat buffer, e.g. "3.weight".
    public var parameterTensors: [(name: String, layer: Layer, range: Range<Int>, tensor: ParameterTensor)] {
        layers.enumerated().flatMap { i, layer in
            layer.parameterTensors.map { tensor in
                let start = parameterOffsets[i] + tensor.offset
                return (name: "\(i).\(tensor.name)", layer: layer, range: start..<(start + tensor.count), tensor: tensor)
            }
        }
    }

    /// Floats of activation memory this network holds (its workspace and backward buffers
    /// are in `scratch`, shared).
    public var activationMemoryFloats: Int { activations.reduce(0) { $0 + $1.count } }

    /// Multiply-adds of one forward pass for one sample.
    public var forwardMultiplyAddsPerSample: Int { layers.reduce(0) { $0 + $1.forwardMultiplyAddsPerSample } }

    /// Runs all layers on `input` (`inputShape`, batchSize, channel-major) and returns the
    /// output, valid until the next forward. `input` must stay alive until `backward`.
    @discardableResult
    public func forward(_ input: UnsafePointer<Float>, training: Bool) -> UnsafePointer<Float> {
        rebindIfScratchMoved()
        lastInput = input
        var current = input
        for (i, layer) in layers.enumerated() {
            layer.forward(input: current, output: outputs[i], batch: layerBatches[i], training: training)
            current = UnsafePointer(outputs[i])
        }
        return current
    }

    /// The output of the latest forward pass.
    public var output: UnsafePointer<Float> { UnsafePointer(outputs.last!) }

    /// Backpropagates `outputGradient` through the latest forward pass. Adds parameter
    /// gradients into `gradients` when `accumulateParameterGradients` (call `zeroGradients`
    /// first to start afresh), and returns dL/d(input) when `needInputGradient`, valid until
    /// the next backward of a network sharing this one's `scratch` (it may be passed straight
    /// to that backward as its output gradient).
    ///
    /// `afterLayer(i)` runs once layer `i`'s backward is done, last layer first: from then on
    /// the gradients of layers `i...` are final for this pass, so a caller can start
    /// communicating them while the earlier layers are still computing (bucketed allreduce).
    @discardableResult
    public func backward(_ outputGradient: UnsafePointer<Float>, accumulateParameterGradients: Bool,
                         needInputGradient: Bool, afterLayer: (Int) -> Void = { _ in }) -> UnsafePointer<Float>? {
        guard let input = lastInput else { preconditionFailure("\(name): backward before forward") }
        rebindIfScratchMoved()
        var gradient = outputGradient
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            let layerInput = i == 0 ? input : UnsafePointer(outputs[i - 1])
            let wantInputGradient = i > 0 || needInputGradient
            if !wantInputGradient && !accumulateParameterGradients { break }
            let target = wantInputGradient ? scratch.gradientBuffer(avoiding: gradient) : nil
            layers[i].backward(input: layerInput, output: UnsafePointer(outputs[i]),
                               outputGradient: gradient, inputGradient: target,
                               batch: layerBatches[i], accumulateParameterGradients: accumulateParameterGradients)
            if let target { gradient = UnsafePointer(target) }
            afterLayer(i)
        }
        return needInputGradient ? gradient : nil
    }

    public func zeroGradients() { gradients.zero() }

    public func resetState() { for layer in layers { layer.resetState() } }

    /// Copies parameters and state from a network of the same architecture (any batch size).
    public func copyWeights(from other: Network) {
        precondition(other.parameters.count == parameters.count && other.state.count == state.count,
                     "copyWeights: \(other.name) and \(name) have different architectures")
        parameters.copy(from: other.parameters.pointer)
        state.copy(from: other.state.pointer)
    }

    /// A printable table of layers, shapes and parameter counts.
    public var description: String {
        var lines = ["\(name): \(parameters.count) parameters"]
        for (i, layer) in layers.enumerated() {
            lines.append("  \(i): \(layer.summary)  \(layer.inputShape) → \(layer.outputShape)  params \(layer.parameterCount)")
        }
        return lines.joined(separator: "\n")
    }
}
