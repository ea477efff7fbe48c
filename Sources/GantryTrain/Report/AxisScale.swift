import Glibc

/// How values map onto one axis of a plot: linear, or logarithmic for positive data that
/// spans orders of magnitude (a loss that starts at 20 and settles at 0.1 would otherwise be
/// a spike and a flat line). The domain is widened to round tick values, so the axis starts
/// and ends on a labelled tick.
public struct AxisScale: Equatable {
    public enum Kind: Equatable { case linear, logarithmic }

    public let kind: Kind
    public let domain: ClosedRange<Double>
    /// Where the labelled ticks are, in data units, ascending; the first and last are the
    /// ends of the domain.
    public let ticks: [Double]

    /// The smallest ratio of largest to smallest value that gets a log scale: two orders of
    /// magnitude. Below it a linear axis reads more easily.
    public static let logarithmicRatio = 100.0

    /// A log scale when every value is positive and they span `logarithmicRatio`, else linear.
    public static func automatic(covering lower: Double, _ upper: Double) -> AxisScale {
        if lower > 0 && upper / lower >= logarithmicRatio {
            return logarithmic(covering: lower, upper)
        }
        return linear(covering: lower, upper)
    }

    /// A linear axis over at least `lower...upper` with about `tickCount` ticks at multiples of
    /// 1, 2 or 5 × 10ⁿ. `integer` keeps ticks on whole numbers (steps).
    public static func linear(covering lower: Double, _ upper: Double, tickCount: Int = 6, integer: Bool = false) -> AxisScale {
        var (low, high) = (min(lower, upper), max(lower, upper))
        if high - low <= 0 {
            // A flat series: centre it in a band a tenth of its size; a flat zero (no skipped
            // steps) sits at the bottom of 0...1, since such counts are never negative.
            let pad = abs(low) * 0.1
            (low, high) = low == 0 ? (0, 1) : (low - pad, high + pad)
        }
        var step = niceStep(for: (high - low) / Double(max(tickCount - 1, 1)))
        if integer { step = max(step, 1) }
        let first = (low / step).rounded(.down), last = (high / step).rounded(.up)
        // Ticks as multiples of the step, not by repeated addition, so 0.1 + 0.2 never shows.
        let ticks = stride(from: first, through: last, by: 1).map { $0 * step }
        return AxisScale(kind: .linear, domain: ticks.first!...ticks.last!, ticks: ticks)
    }

    /// A log axis from the power of ten at or below `lower` to the one at or above `upper`,
    /// ticks on powers of ten (every second or third one when there are many).
    /// `lower` must be positive.
    public static func logarithmic(covering lower: Double, _ upper: Double) -> AxisScale {
        precondition(lower > 0 && upper > 0, "a log scale needs positive values")
        let first = Int(log10(min(lower, upper)).rounded(.down))
        var last = Int(log10(max(lower, upper)).rounded(.up))
        if last == first { last += 1 }
        let every = max(1, Int((Double(last - first) / 7).rounded(.up)))
        var exponents = Array(stride(from: first, through: last, by: every))
        if exponents.last! < last {
            exponents.append(exponents.last! + every)
        }
        let ticks = exponents.map { pow(10, Double($0)) }
        return AxisScale(kind: .logarithmic, domain: ticks.first!...ticks.last!, ticks: ticks)
    }

    /// `value`'s position along the axis: 0 at the lower end of the domain, 1 at the upper.
    public func fraction(_ value: Double) -> Double {
        switch kind {
        case .linear:
            return (value - domain.lowerBound) / (domain.upperBound - domain.lowerBound)
        case .logarithmic:
            let low = log10(domain.lowerBound), high = log10(domain.upperBound)
            return (log10(max(value, domain.lowerBound)) - low) / (high - low)
        }
    }

    /// The distance between neighbouring ticks (linear) or at the tick itself (log), for
    /// choosing how many digits a tick's label needs.
    func spacing(at tick: Double) -> Double {
        kind == .logarithmic || ticks.count < 2 ? tick : ticks[1] - ticks[0]
    }

    /// The one of 1, 2, 5 × 10ⁿ nearest `raw` on a log scale (the thresholds are the
    /// geometric means √2, √10, √50), so the tick count stays near the one asked for.
    static func niceStep(for raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, log10(raw).rounded(.down))
        let mantissa = raw / magnitude
        if mantissa >= 50.squareRoot() { return 10 * magnitude }
        if mantissa >= 10.squareRoot() { return 5 * magnitude }
        if mantissa >= 2.squareRoot() { return 2 * magnitude }
        return magnitude
    }
}
