import Foundation

// Numbers and durations as the console lines, tables and file names print them.

/// `value` with `digits` decimals: fixed(3.14159, 2) is "3.14".
public func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

/// A duration for people: "42s", "3m07s", "2h05m"; "?" when unknown.
public func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" }
    if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
    return "\(s)s"
}

/// A step number in file names, zero-padded to six digits so that names sort by step.
public func padded(_ step: Int) -> String {
    let text = String(step)
    return String(repeating: "0", count: max(0, 6 - text.count)) + text
}

extension String {
    /// Right-justified in a field of `width` characters, for tables.
    public func rightAligned(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
