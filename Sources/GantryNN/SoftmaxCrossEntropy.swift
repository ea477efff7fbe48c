import Glibc

/// Softmax cross-entropy of class logits against integer labels, for training a classifier:
/// CE(l, y) = logsumexp(l) − l_y, computed as m + log Σ_c exp(l_c − m) with m = max_c l_c,
/// so no exp overflows and the largest term is exactly exp(0) = 1 (never log(softmax(l)_y)).
///
/// Logits are a batch in GantryNN's layout, `classes × count`: class c of sample j at c·count + j.
public enum SoftmaxCrossEntropy {
    /// Mean over `count` samples of CE(logits_j, labels[j]); writes dLoss/dl = (softmax(l) − onehot(y)) / count
    /// (times `gradientScale`) into `gradient` (same layout) when given. Returns the mean loss and
    /// how many samples' largest logit is their label's.
    @discardableResult
    public static func mean(logits: UnsafePointer<Float>, labels: UnsafePointer<Int>, classes: Int, count: Int,
                            gradient: UnsafeMutablePointer<Float>?, gradientScale: Float = 1) -> (loss: Double, correct: Int) {
        var lossSum = 0.0, correct = 0
        let scale = gradientScale / Float(count)
        for j in 0..<count {
            let label = labels[j]
            precondition(label >= 0 && label < classes, "SoftmaxCrossEntropy: label \(label) outside 0..<\(classes)")
            var largest = logits[j], predicted = 0
            for c in 1..<classes where logits[c * count + j] > largest {
                largest = logits[c * count + j]
                predicted = c
            }
            var sum: Float = 0
            for c in 0..<classes { sum += expf(logits[c * count + j] - largest) }
            lossSum += Double(largest + logf(sum) - logits[label * count + j])
            if predicted == label { correct += 1 }
            if let gradient {
                for c in 0..<classes {
                    let p = expf(logits[c * count + j] - largest) / sum
                    gradient[c * count + j] = (p - (c == label ? 1 : 0)) * scale
                }
            }
        }
        return (lossSum / Double(count), correct)
    }

    /// softmax(l) of each sample in Double, in the same `classes × count` layout, into `probabilities`.
    public static func probabilities(logits: UnsafePointer<Float>, classes: Int, count: Int,
                                     into probabilities: UnsafeMutablePointer<Double>) {
        for j in 0..<count {
            var largest = -Double.infinity
            for c in 0..<classes { largest = max(largest, Double(logits[c * count + j])) }
            var sum = 0.0
            for c in 0..<classes {
                let e = exp(Double(logits[c * count + j]) - largest)
                probabilities[c * count + j] = e
                sum += e
            }
            for c in 0..<classes { probabilities[c * count + j] /= sum }
        }
    }
}
