import Glibc

/// A decay of both learning rates over the run (`--lr-decay`, `--lr-decay-start`).
///
/// The learning rates hold for the first `start` share of the steps, then fall towards 0 at
/// the last step: linearly, or along half a cosine. Late in a GAN's training the steps of
/// full size keep G's samples jittering around the modes; shrinking them lets G (and its
/// moving average) settle onto them (docs/stabilisers.md).
///
/// The factor is a function of the step and the run's length alone: every rank computes
/// the same one, and a resumed run the one an uninterrupted run would have.
public enum LearningRateDecay: String, CaseIterable, Codable {
    case none
    case linear
    case cosine

    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The factor on the learning rates for the update of step `step + 1` (`step` steps
    /// trained before it) of `totalSteps`, decaying from the first step after
    /// `start · totalSteps`. The last step's update keeps a small positive factor (its
    /// progress is (n − 1)/n of the decay), so no update is wasted at a learning rate of 0.
    public func factor(step: Int, of totalSteps: Int, start: Double) -> Float {
        let first = Int((start * Double(totalSteps)).rounded(.down))
        guard self != .none, step >= first, totalSteps > first else { return 1 }
        let progress = Double(step - first) / Double(totalSteps - first)  // 0 ..< 1
        switch self {
        case .none: return 1
        case .linear: return Float(1 - progress)
        case .cosine: return Float((1 + cos(Double.pi * progress)) / 2)
        }
    }
}
