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
        let count = firstMoment.count, vectors = count / 8
        // Eight lanes at a time (the buffers may alias as far as the compiler knows, so it
        // would not vectorise the scalar loop), then the tail; each lane does exactly the
        // scalar arithmetic, so the result is the same bits either way.
        // The vectors are split over the rank's threads: each value's update is the same
        // whichever thread does it.
        WorkerPool.shared.forEachPart(of: vectors) { part, _ in
            for k in part {
                let i = 8 * k
                var p = UnsafeRawPointer(parameters + i).loadUnaligned(as: SIMD8<Float>.self)
                var mi = UnsafeRawPointer(m + i).loadUnaligned(as: SIMD8<Float>.self)
                var vi = UnsafeRawPointer(v + i).loadUnaligned(as: SIMD8<Float>.self)
                apply(&p, &mi, &vi, UnsafeRawPointer(gradients + i).loadUnaligned(as: SIMD8<Float>.self),
                     stepSize: SIMD8(repeating: stepSize), correction2Root: SIMD8(repeating: correction2Root))
                UnsafeMutableRawPointer(parameters + i).storeBytes(of: p, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: SIMD8<Float>.self)
            }
        }
        let tail = 8 * vectors, rest = count - tail
        guard rest > 0 else { return }
        var p = SIMD8<Float>(), mi = SIMD8<Float>(), vi = SIMD8<Float>(), g = SIMD8<Float>()
        for j in 0..<rest { (p[j], mi[j], vi[j], g[j]) = (parameters[tail + j], m[tail + j], v[tail + j], gradients[tail + j]) }
        apply(&p, &mi, &vi, g, stepSize: SIMD8(repeating: stepSize), correction2Root: SIMD8(repeating: correction2Root))
        for j in 0..<rest { (parameters[tail + j], m[tail + j], v[tail + j]) = (p[j], mi[j], vi[j]) }
    }

    /// The Adam update of eight parameters `p` with moments `m`, `v` and gradients `g`.
    @inline(__always)
    private func apply(_ p: inout SIMD8<Float>, _ m: inout SIMD8<Float>, _ v: inout SIMD8<Float>, _ g: SIMD8<Float>,
                       stepSize: SIMD8<Float>, correction2Root: SIMD8<Float>) {
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        p -= stepSize * m / (v.squareRoot() / correction2Root + epsilon)
    }
}
