/// Rectified linear unit: y = max(x, 0).
public final class ReLU: ElementwiseActivation {
    public let shape: Shape

    public init(_ shape: Shape) {
        precondition(shape.count > 0, "ReLU: shape \(shape) is empty")
        self.shape = shape
    }

    public var summary: String { "ReLU" }
    /// In place the derivative sees the output as `x`: y > 0 exactly when x > 0.
    public var runsInPlace: Bool { true }
    public var backwardReadsOutput: Bool { false }

    @inline(__always) public func activate(_ x: Float) -> Float { x > 0 ? x : 0 }
    /// The subgradient at 0 is taken as 0, like PyTorch.
    @inline(__always) public func derivative(input x: Float, output y: Float) -> Float { x > 0 ? 1 : 0 }
}
