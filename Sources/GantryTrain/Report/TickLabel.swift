import Glibc
import GantryData

/// The text of an axis tick: as short as the tick spacing allows. Thousands and millions
/// get a suffix (steps read 500, 1k, 2.5k, 10k, 1M), tiny values an exponent (2e-5).
public func tickLabel(_ value: Double, spacing: Double) -> String {
    if value == 0 { return "0" }
    let size = abs(value)
    for (scale, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] where size >= scale {
        return decimal(value / scale, spacing: spacing / scale) + suffix
    }
    if size >= 1e-3 { return decimal(value, spacing: spacing) }
    let exponent = Int(log10(size).rounded(.down))
    let mantissa = value / pow(10, Double(exponent))
    return decimal(mantissa, spacing: spacing / pow(10, Double(exponent))) + "e\(exponent)"
}

/// `value` with as many decimals as `spacing` needs (spacing 0.05 → two), trailing zeros cut.
private func decimal(_ value: Double, spacing: Double) -> String {
    let digits = spacing > 0 && spacing.isFinite ? min(6, max(0, Int((-log10(spacing) - 1e-9).rounded(.up)))) : 0
    var text = fixed(value, digits)
    if text.contains(".") {
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
    }
    return text == "-0" ? "0" : text
}
