import GantryNN

/// What a forward pass needs of a network a checkpoint holds: its parameters and BatchNorm
/// running statistics. The trained G (NetworkSnapshot) and its moving average
/// (GeneratorEMASnapshot) both are, so that sampling and export take either.
public protocol NetworkWeights {
    var parameters: [Float] { get }
    var state: [Float] { get }
}

extension NetworkWeights {
    /// Copies the parameters and state into `network` (any batch size).
    public func copyWeights(into network: Network) {
        network.parameters.load(parameters)
        network.state.load(state)
    }
}
