/// Seconds spent per part of the iteration since the last log line (this rank's clock).
public struct PhaseTiming {
    public var data = 0.0
    /// D phase: G's forward pass on the noise.
    public var generatorForward = 0.0
    /// D phase: D's forward and backward passes on the real and the fake batch.
    public var discriminatorForwardBackward = 0.0
    public var discriminatorCommunication = 0.0
    /// G phase: D's forward pass on the fake batch and its backward pass to the images.
    public var discriminatorInputGradient = 0.0
    /// G phase: G's backward pass.
    public var generatorBackward = 0.0
    public var generatorCommunication = 0.0
    public var optimizer = 0.0

    public init() {}

    /// The D phase's computation (G forward, then D forward and backward).
    public var discriminatorCompute: Double { generatorForward + discriminatorForwardBackward }
    /// The G phase's computation (through D to the images, then G backward).
    public var generatorCompute: Double { discriminatorInputGradient + generatorBackward }
    public var total: Double {
        data + discriminatorCompute + discriminatorCommunication + generatorCompute + generatorCommunication + optimizer
    }
}
