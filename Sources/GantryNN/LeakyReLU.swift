/// Leaky rectified linear unit: y = x for x > 0, slope·x otherwise (DCGAN's discriminator uses 0.2).
public final class LeakyReLU: ElementwiseActivation {
    public let shape: Shape
    public let slope: Float

    public init(_ shape: Shape, slope: Float = 0.2) {
        precondition(shape.count > 0, "LeakyReLU: shape \(shape) is empty")
        precondition(slope.isFinite, "LeakyReLU: slope must be finite (got \(slope))")
        self.shape = shape
        self.slope = slope
    }

    public var summary: String { "LeakyReLU(\(slope))" }
    /// In place the derivative sees the output as `x`: with a slope ≥ 0, y > 0 exactly when x > 0.
    public var runsInPlace: Bool { slope >= 0 }
    public var backwardReadsOutput: Bool { false }

    // Both functions read `slope` before choosing, not only in the x ≤ 0 branch: an
    // unconditional read is hoisted out of the shared loop and the choice compiles to a
    // vectorised select, whereas a read inside the branch kept a data-dependent jump that
    // mispredicts on mixed signs (measured about 35× slower).
    @inline(__always) public func activate(_ x: Float) -> Float {
        let slope = self.slope
        return x > 0 ? x : slope * x
    }

    @inline(__always) public func derivative(input x: Float, output y: Float) -> Float {
        let slope = self.slope
        return x > 0 ? 1 : slope
    }

    /// Backward computed dX = f′(x)·dY with f′ constant on each side of 0: for an adjoint A
    /// of dX, dS/d(dY) = f′(x)·A, which is backward applied to A.
    public var hasBackwardOfBackward: Bool { true }

    public func backwardOfBackward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                                   outputGradient: UnsafePointer<Float>, inputGradientAdjoint: UnsafePointer<Float>,
                                   outputGradientAdjoint: UnsafeMutablePointer<Float>?, batch: Int) {
        backward(input: input, output: output, outputGradient: inputGradientAdjoint, inputGradient: outputGradientAdjoint,
                 batch: batch, accumulateParameterGradients: false)
    }
}
