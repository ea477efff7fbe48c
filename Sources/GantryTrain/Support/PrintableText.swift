/// Text that came from a file, made safe to print: a checkpoint's section names and header
/// strings, a config.json's paths. A file must not be able to move the cursor, clear the
/// screen or retitle the terminal with an escape sequence, nor flood a one-line error.
///
/// Control and format characters (C0, DEL, C1, bidirectional overrides, zero-width marks) and
/// the line and paragraph separators are shown as `\u{1b}`, a backslash as `\\` (so an escape
/// cannot be faked); the result is cut to `limit` characters, ending in "…".
public func printable(_ text: String, limit: Int = 200) -> String {
    var out = ""
    var characters = 0
    for scalar in text.unicodeScalars {
        let shown: String
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate:
            shown = "\\u{\(String(scalar.value, radix: 16))}"
        default:
            shown = scalar == "\\" ? "\\\\" : String(scalar)
        }
        if characters + shown.count > limit {
            return out + "…"
        }
        out += shown
        characters += shown.count
    }
    return out
}
