import Glibc

/// What the classifier says about a set of images, summed one sample at a time: the
/// histogram of predicted classes, the mean of p(y|x) (the marginal p(y)) and the mean of
/// Σ_y p(y|x) log p(y|x), from which the Inception-Score analogue follows.
public struct ClassDistribution {
    public let classes: Int
    public private(set) var count = 0
    public private(set) var histogram: [Int]
    private var probabilitySum: [Double]
    private var negativeEntropySum = 0.0

    public init(classes: Int) {
        self.classes = classes
        histogram = [Int](repeating: 0, count: classes)
        probabilitySum = [Double](repeating: 0, count: classes)
    }

    /// Adds sample `j` of a batch of probabilities (`classes × n`, channel-major).
    mutating func add(probabilities p: UnsafePointer<Double>, sample j: Int, batchSize n: Int) {
        var best = 0
        for c in 0..<classes {
            let q = p[c * n + j]
            probabilitySum[c] += q
            if q > 0 { negativeEntropySum += q * log(q) }
            if q > p[best * n + j] { best = c }
        }
        histogram[best] += 1
        count += 1
    }

    /// exp E_x KL(p(y|x) ‖ p(y)) = exp(E_x Σ p log p − Σ p̄ log p̄): between 1 (every image
    /// gets the same distribution) and the class count (confident, and all classes equally often).
    public var inceptionScore: Double {
        let n = Double(count)
        var marginalEntropy = 0.0
        for c in 0..<classes where probabilitySum[c] > 0 {
            let q = probabilitySum[c] / n
            marginalEntropy -= q * log(q)
        }
        return exp(negativeEntropySum / n + marginalEntropy)
    }

    /// Classes that at least 1% of the images are assigned to.
    public var classesCovered: Int { histogram.filter { Double($0) >= 0.01 * Double(count) }.count }

    /// KL(self ‖ reference) of the predicted-class histograms, each smoothed by half a sample
    /// per class so that a class one set never shows does not make it infinite.
    public func klDivergence(from reference: ClassDistribution) -> Double {
        func shares(_ d: ClassDistribution) -> [Double] {
            d.histogram.map { (Double($0) + 0.5) / (Double(d.count) + 0.5 * Double(d.classes)) }
        }
        return zip(shares(self), shares(reference)).reduce(0) { $0 + $1.0 * log($1.0 / $1.1) }
    }
}
