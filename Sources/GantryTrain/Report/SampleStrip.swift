/// Which sample pictures a report shows over time: at most `limit`, evenly spread over the
/// run, always with the first and the newest, so a strip reads the same at 4 or 4,000 pictures.
public func thinned<Element>(_ elements: [Element], toAtMost limit: Int) -> [Element] {
    guard elements.count > limit, limit > 1 else { return limit == 1 ? Array(elements.suffix(1)) : elements }
    let last = elements.count - 1
    var chosen: [Int] = []
    for index in 0..<limit {
        let position = Int((Double(index * last) / Double(limit - 1)).rounded())
        if chosen.last != position { chosen.append(position) }
    }
    return chosen.map { elements[$0] }
}

/// A PNG's width and height from its header (the IHDR chunk, bytes 16–23, big-endian), or
/// nil for bytes that are not a PNG. Enough to decide how large to show it.
func pngSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    guard bytes.count >= 24, Array(bytes[0..<8]) == signature else { return nil }
    func bigEndian(_ offset: Int) -> Int { bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
    return (bigEndian(16), bigEndian(20))
}
