/// The mean and covariance of a set of feature vectors, summed in Double one sample at a
/// time (so the result does not depend on how the samples arrive), and the Fréchet distance
/// between the Gaussians two such sets define.
public struct FeatureMoments {
    public let dimension: Int
    public private(set) var count = 0
    private var sum: [Double]
    /// Σ x xᵀ, upper triangle filled (row-major `dimension × dimension`).
    private var outer: [Double]

    public init(dimension: Int) {
        self.dimension = dimension
        sum = [Double](repeating: 0, count: dimension)
        outer = [Double](repeating: 0, count: dimension * dimension)
    }

    /// Adds sample `j` of a `dimension × n` channel-major batch.
    mutating func add(_ batch: UnsafePointer<Float>, sample j: Int, batchSize n: Int) {
        let d = dimension
        var x = [Double](repeating: 0, count: d)
        for i in 0..<d { x[i] = Double(batch[i * n + j]) }
        sum.withUnsafeMutableBufferPointer { s in
            outer.withUnsafeMutableBufferPointer { o in
                for i in 0..<d {
                    s[i] += x[i]
                    let xi = x[i]
                    for k in i..<d { o[i * d + k] += xi * x[k] }
                }
            }
        }
        count += 1
    }

    public var mean: [Double] { sum.map { $0 / Double(count) } }

    /// The unbiased covariance, row-major.
    public var covariance: [Double] {
        let d = dimension, mu = mean, n = Double(count)
        var c = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for k in i..<d {
                let v = (outer[i * d + k] - n * mu[i] * mu[k]) / max(n - 1, 1)
                c[i * d + k] = v
                c[k * d + i] = v
            }
        }
        return c
    }
}
