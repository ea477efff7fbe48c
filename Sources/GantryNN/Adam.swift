import Glibc

/// Adam (Kingma & Ba) over one flat parameter buffer and its gradient buffer.
///
/// Given the same gradients it produces bit-identical parameters on every rank: it is a
/// pure element-wise function of (parameter, gradient, moments, step).
public final class Adam {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    /// Steps taken so far (the bias correction uses it).
    public var step: Int = 0
    /// First and second moment estimates, laid out like the parameters.
    public let firstMoment: FloatBuffer
    public let secondMoment: FloatBuffer

    public init(parameterCount: Int, learningRate: Float, beta1: Float = 0.5, beta2: Float = 0.999,
                epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        firstMoment = FloatBuffer(count: parameterCount)
        secondMoment = FloatBuffer(count: parameterCount)
    }

    /// One update of `parameters` from `gradients` (both `firstMoment.count` floats).
    public func update(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>) {
        step += 1
        let t = Double(step)
        let correction1 = Float(1 - pow(Double(beta1), t))
        let correction2 = Float(1 - pow(Double(beta2), t))
        // lr · m̂ / (√v̂ + ε) with m̂ = m / c1, v̂ = v / c2, folded into one step size as in PyTorch.
        let stepSize = learningRate / correction1
        let correction2Root = correction2.squareRoot()
        let m = firstMoment.pointer, v = secondMoment.pointer
        let b1 = beta1, b2 = beta2, eps = epsilon
        for i in 0..<firstMoment.count {
            let g = gradients[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            parameters[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2Root + eps)
        }
    }
}
