/// A parameter-free layer applying one scalar function to every value, y = f(x), keeping the shape.
///
/// Conforming layers supply only f and its derivative; the loops over the batch are shared
/// here. The derivative receives both the input and the output so that each activation can
/// use whichever is cheaper (tanh′ = 1 − y², ReLU′ from the sign of x).
public protocol ElementwiseActivation: Layer {
    var shape: Shape { get }
    /// f(x).
    func activate(_ x: Float) -> Float
    /// f′ at input `x`, whose output was `y`. When the layer runs in place (`runsInPlace`),
    /// `x` is the output too, so such a layer must get f′ right from the output alone.
    func derivative(input x: Float, output y: Float) -> Float
}

public extension ElementwiseActivation {
    var inputShape: Shape { shape }
    var outputShape: Shape { shape }
    var parameterCount: Int { 0 }

    func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>,
              state: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) {}

    // Both loops are split over the rank's threads (`WorkerPool.shared`: an activation has
    // no buffers sized by it, so it need not keep the pool it was built with), each part
    // going eight values at a time through vectors loaded before anything is
    // stored: the compiler cannot prove that input and output do not overlap (in place they
    // are the same buffer), and would otherwise fall back to one value at a time.

    func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
        WorkerPool.shared.forEachPart(of: shape.count * batch) { part, _ in
            let whole = part.lowerBound + part.count / 8 * 8
            var i = part.lowerBound
            while i < whole {
                let x = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD8<Float>.self)
                var y = SIMD8<Float>()
                for lane in 0..<8 { y[lane] = activate(x[lane]) }
                UnsafeMutableRawPointer(output + i).storeBytes(of: y, as: SIMD8<Float>.self)
                i += 8
            }
            for j in whole..<part.upperBound { output[j] = activate(input[j]) }
        }
    }

    func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                  outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
                  batch: Int, accumulateParameterGradients: Bool) {
        guard let inputGradient else { return }
        WorkerPool.shared.forEachPart(of: shape.count * batch) { part, _ in
            let whole = part.lowerBound + part.count / 8 * 8
            var i = part.lowerBound
            while i < whole {
                let x = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD8<Float>.self)
                let y = UnsafeRawPointer(output + i).loadUnaligned(as: SIMD8<Float>.self)
                var slope = SIMD8<Float>()
                for lane in 0..<8 { slope[lane] = derivative(input: x[lane], output: y[lane]) }
                let dy = UnsafeRawPointer(outputGradient + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(inputGradient + i).storeBytes(of: dy * slope, as: SIMD8<Float>.self)
                i += 8
            }
            for j in whole..<part.upperBound {
                inputGradient[j] = outputGradient[j] * derivative(input: input[j], output: output[j])
            }
        }
    }
}
