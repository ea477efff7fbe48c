/// The floats a `Network` of `layers` allocates for a batch, computed from the layer
/// definitions without allocating: what a command checks against its memory budget before
/// it builds anything, and what `Network.init` itself allocates (it uses the same rules).
///
/// Counts are Doubles: a batch comes from a flag, and a budget must be able to say "too
/// much" for any batch without overflowing first.
public struct NetworkFootprint: Equatable {
    /// Trainable floats (the gradient buffer has as many).
    public let parameters: Int
    /// Non-trainable floats (BatchNorm running statistics).
    public let state: Int
    /// The activation buffers the network owns (a layer running in place owns none).
    public let activations: Double
    /// The largest im2col workspace of one layer, held in the shared `ScratchSpace`.
    public let workspace: Double
    /// One of the two ping-pong buffers of backward passes, in the shared `ScratchSpace`.
    public let gradientBuffer: Double

    public init(layers: [Layer], batch: Int) {
        let batches = Network.layerBatches(layers, batch: batch)
        parameters = layers.reduce(0) { $0 + $1.parameterCount }
        state = layers.reduce(0) { $0 + $1.stateCount }
        activations = Network.ownsOutput(layers).enumerated().reduce(0) { total, entry in
            let layer = layers[entry.offset]
            return entry.element ? total + Double(layer.outputShape.count) * Double(layer.outputBatch(forInput: batches[entry.offset])) : total
        }
        // Workspaces are chunked (at most a few MB whatever the batch): Int is safe for a
        // batch that fits the chunk, and a larger batch needs no more.
        workspace = Double(zip(layers, batches).map { $0.workspaceCount(batch: $1) }.max() ?? 0)
        gradientBuffer = zip(layers, batches).map { layer, batch in
            max(Double(layer.inputShape.count) * Double(batch),
                Double(layer.outputShape.count) * Double(layer.outputBatch(forInput: batch)))
        }.max() ?? 0
    }

    /// Floats for inference (`sample`, `eval`): parameters, state, activations, workspace.
    public var inferenceFloats: Double { Double(parameters + state) + activations + workspace }

    /// Floats the network holds itself in training: parameters, gradients, state and
    /// activations (its scratch space is shared: see `scratchFloats`).
    public var trainingFloats: Double { Double(2 * parameters + state) + activations }

    /// The scratch space that networks sharing one need: the largest workspace and the
    /// largest pair of ping-pong buffers among them, as `ScratchSpace.reserve` grows it.
    public static func scratchFloats(_ networks: [NetworkFootprint]) -> Double {
        (networks.map(\.workspace).max() ?? 0) + 2 * (networks.map(\.gradientBuffer).max() ?? 0)
    }
}
