/// A parameter-free layer applying one scalar function to every value, y = f(x), keeping the shape.
///
/// Conforming layers supply only f and its derivative; the loops over the batch are shared
/// here. The derivative receives both the input and the output so that each activation can
/// use whichever is cheaper (tanh′ = 1 − y², ReLU′ from the sign of x).
public protocol ElementwiseActivation: Layer {
    var shape: Shape { get }
    /// f(x).
    func activate(_ x: Float) -> Float
    /// f′ at input `x`, whose output was `y`.
    func derivative(input x: Float, output y: Float) -> Float
}

public extension ElementwiseActivation {
    var inputShape: Shape { shape }
    var outputShape: Shape { shape }
    var parameterCount: Int { 0 }

    func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>,
              state: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) {}

    func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
        for i in 0..<shape.count * batch { output[i] = activate(input[i]) }
    }

    func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                  outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
                  batch: Int, accumulateParameterGradients: Bool) {
        guard let inputGradient else { return }
        for i in 0..<shape.count * batch {
            inputGradient[i] = outputGradient[i] * derivative(input: input[i], output: output[i])
        }
    }
}
