import GantryNN

/// One network's trainable parameters, BatchNorm running statistics and Adam state.
public struct NetworkSnapshot: NetworkWeights {
    public var parameters: [Float]
    public var state: [Float]
    public var adamStep: Int
    public var adamFirstMoment: [Float]
    public var adamSecondMoment: [Float]

    public init(parameters: [Float], state: [Float], adamStep: Int, adamFirstMoment: [Float], adamSecondMoment: [Float]) {
        self.parameters = parameters
        self.state = state
        self.adamStep = adamStep
        self.adamFirstMoment = adamFirstMoment
        self.adamSecondMoment = adamSecondMoment
    }

    public init(network: Network, optimizer: Adam) {
        self.init(parameters: network.parameters.array, state: network.state.array, adamStep: optimizer.step,
                  adamFirstMoment: optimizer.firstMoment.array, adamSecondMoment: optimizer.secondMoment.array)
    }

    /// Copies the parameters and state into `network` (any batch size) and, if given, the
    /// moments into `optimizer`.
    public func restore(into network: Network, optimizer: Adam? = nil) {
        copyWeights(into: network)
        guard let optimizer else { return }
        optimizer.step = adamStep
        optimizer.firstMoment.load(adamFirstMoment)
        optimizer.secondMoment.load(adamSecondMoment)
    }
}
