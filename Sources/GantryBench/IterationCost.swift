import GantryNN

/// Multiply-adds per sample of one training iteration, counted layer by layer from each
/// layer's `forwardMultiplyAddsPerSample`.
///
/// Each layer's backward pass is counted as one forward's worth of multiply-adds for the
/// parameter gradients (layers with parameters) and one for the input gradient (when it is
/// computed). That is exact for the GEMM layers — Linear, Conv2d and ConvTranspose2d, each
/// backward being two GEMMs of the forward's shape — which carry all but a fraction of a
/// percent of the work; BatchNorm counts one multiply-add per value and pass, activations zero.
///
/// - D phase (per D step): G forward; D forward and backward on the real batch and again
///   on the fake one, with parameter gradients and no gradient for D's input.
/// - G phase: D forward on the fake batch; D backward with input gradients only (no D
///   parameter gradients), down to the images; G backward with parameter gradients and no
///   gradient for the noise.
public struct IterationCost {
    /// G's forward passes (one per D step).
    public let generatorForward: Int
    /// D's forward and backward passes in the D phase (all D steps), without G's forward.
    public let discriminatorPhase: Int
    public let generatorPhase: Int
    public let dSteps: Int
    public var total: Int { generatorForward + discriminatorPhase + generatorPhase }

    public init(generator: Network, discriminator: Network, dSteps: Int) {
        self.dSteps = dSteps
        generatorForward = dSteps * generator.forwardMultiplyAddsPerSample
        let discriminatorForward = discriminator.forwardMultiplyAddsPerSample
        discriminatorPhase = dSteps * 2 * (discriminatorForward
            + Self.backward(discriminator, parameterGradients: true, inputGradient: false))
        generatorPhase = discriminatorForward
            + Self.backward(discriminator, parameterGradients: false, inputGradient: true)
            + Self.backward(generator, parameterGradients: true, inputGradient: false)
    }

    /// Multiply-adds of one backward pass through `network`, as `Network.backward` runs it:
    /// every layer but the first computes its input gradient, the first only when asked.
    static func backward(_ network: Network, parameterGradients: Bool, inputGradient: Bool) -> Int {
        var total = 0
        for (i, layer) in network.layers.enumerated() {
            let forward = layer.forwardMultiplyAddsPerSample
            if parameterGradients && layer.parameterCount > 0 { total += forward }
            if i > 0 || inputGradient { total += forward }
        }
        return total
    }
}
