import Glibc

// Numbers and durations as the console lines, tables and file names print them. C's printf
// writes the digits: Foundation's String(format:) would load Foundation and ICU, 7 MB of
// every rank's resident memory (docs/performance.md, "Memory").

/// `value` with `digits` decimals: fixed(3.14159, 2) is "3.14".
public func fixed(_ value: Double, _ digits: Int) -> String {
    let format = "%.\(max(0, digits))f"
    let length = withVaList([value]) { vsnprintf(nil, 0, format, $0) }
    var text = [CChar](repeating: 0, count: Int(length) + 1)
    _ = withVaList([value]) { vsnprintf(&text, text.count, format, $0) }
    return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

/// A duration for people: "42s", "3m07s", "2h05m"; "?" when unknown.
public func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return "\(s / 3600)h\(padded(s % 3600 / 60, width: 2))m" }
    if s >= 60 { return "\(s / 60)m\(padded(s % 60, width: 2))s" }
    return "\(s)s"
}

/// `number` zero-padded to `width` digits in base `radix`; a step number in file names has
/// six decimal digits, so that names sort by step.
public func padded(_ number: Int, width: Int = 6, radix: Int = 10) -> String {
    let text = String(number, radix: radix)
    return String(repeating: "0", count: max(0, width - text.count)) + text
}

/// A 32-bit value as eight hexadecimal digits, e.g. a CRC: hexadecimal(255) is "000000ff".
public func hexadecimal(_ value: UInt32) -> String { padded(Int(value), width: 8, radix: 16) }

extension String {
    /// Right-justified in a field of `width` characters, for tables.
    public func rightAligned(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }

    /// Left-justified in a field of `width` characters, for tables.
    public func leftAligned(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}

extension StringProtocol {
    /// Without the white space (newlines too) at either end, for numbers people type.
    public func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}
