import Glibc

/// Hyperbolic tangent, the generator's output activation (maps to the data range [−1, 1]).
public final class Tanh: ElementwiseActivation {
    public let shape: Shape

    public init(_ shape: Shape) {
        precondition(shape.count > 0, "Tanh: shape \(shape) is empty")
        self.shape = shape
    }

    public var summary: String { "Tanh" }
    /// Its derivative needs only the output.
    public var runsInPlace: Bool { true }

    @inline(__always) public func activate(_ x: Float) -> Float { tanhf(x) }
    /// From the saved output: tanh′(x) = 1 − tanh²(x) = 1 − y², no second tanh needed.
    @inline(__always) public func derivative(input x: Float, output y: Float) -> Float { 1 - y * y }
}
