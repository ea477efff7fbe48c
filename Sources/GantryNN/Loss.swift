import Glibc

/// Binary cross-entropy computed from logits, in the numerically stable form
/// BCE(l, y) = max(l, 0) − l·y + log(1 + exp(−|l|)), never as log(sigmoid(l)).
public enum BinaryCrossEntropy {
    /// Mean over `count` logits of BCE(logit, target); writes dLoss/dlogit = (σ(l) − y) / count
    /// (times `gradientScale`) into `gradient` when given. Returns the mean loss and the mean
    /// of σ(l), the discriminator's average probability for these samples.
    @discardableResult
    public static func mean(logits: UnsafePointer<Float>, target: Float, count: Int,
                            gradient: UnsafeMutablePointer<Float>?, gradientScale: Float = 1)
        -> (loss: Double, meanProbability: Double) {
        var lossSum = 0.0, probabilitySum = 0.0
        let scale = gradientScale / Float(count)
        for i in 0..<count {
            // One exp serves both: e = exp(−|l|), and σ(l) = 1/(1+e) for l ≥ 0, e/(1+e) below.
            let l = logits[i], e = expf(-abs(l))
            lossSum += Double(max(l, 0) - l * target + log1pf(e))
            let p = l >= 0 ? 1 / (1 + e) : e / (1 + e)
            probabilitySum += Double(p)
            gradient?[i] = (p - target) * scale
        }
        return (lossSum / Double(count), probabilitySum / Double(count))
    }
}
