// Fitting an image of any size and colour to a sample shape: resized (antialiased) so that it
// covers the shape, the shorter side matching, then centre-cropped — what torchvision's
// Resize(size) + CenterCrop(size) do — and converted to the sample's channels.

/// How one axis is resampled: each output pixel is a weighted sum of a run of source pixels.
/// The filter is a triangle (tent) whose radius is one source pixel when enlarging and one
/// output pixel's width in source pixels when shrinking, so that shrinking averages every
/// source pixel it covers instead of skipping most of them (the aliasing of plain bilinear
/// sampling); this is PIL's antialiased BILINEAR.
struct ResamplingAxis {
    /// Output pixel i reads source pixels first[i] ..< first[i] + weights[i].count.
    var first: [Int] = []
    var weights: [[Float]] = []

    /// `source` pixels resized to `resized`, of which the `output` from `offset` on are kept.
    init(source: Int, resized: Int, offset: Int, output: Int) {
        let scale = Double(source) / Double(resized)  // source pixels per resized pixel
        let radius = max(scale, 1)
        for i in offset..<offset + output {
            let center = (Double(i) + 0.5) * scale
            let low = max(0, Int((center - radius).rounded(.down)))
            let high = min(source, Int((center + radius).rounded(.up)))
            var row = (low..<high).map { j in max(0, 1 - abs((Double(j) + 0.5 - center) / radius)) }
            let total = row.reduce(0, +)
            if total > 0 {
                row = row.map { $0 / total }
            } else {  // cannot happen for radius >= 1, but never divide by zero
                row = row.map { _ in 1 / Double(row.count) }
            }
            first.append(low)
            weights.append(row.map(Float.init))
        }
    }
}

extension PNGImage {
    /// The image fitted to `shape` as bytes in the sample layout: channel planes of
    /// height × width, row-major. Colour becomes gray as luma (ITU-R BT.601: 0.299 R +
    /// 0.587 G + 0.114 B); gray becomes colour by repeating it.
    public func fitted(to shape: SampleShape) -> [UInt8] {
        // The resized size covers the shape; the larger scale wins, the other side is cropped.
        let scale = max(Double(shape.width) / Double(width), Double(shape.height) / Double(height))
        let resizedWidth = max(shape.width, Int((Double(width) * scale).rounded()))
        let resizedHeight = max(shape.height, Int((Double(height) * scale).rounded()))
        let columns = ResamplingAxis(source: width, resized: resizedWidth,
                                     offset: (resizedWidth - shape.width) / 2, output: shape.width)
        let rows = ResamplingAxis(source: height, resized: resizedHeight,
                                  offset: (resizedHeight - shape.height) / 2, output: shape.height)

        // Horizontal pass, every source row: (height × shape.width) per source channel.
        var horizontal = [Float](repeating: 0, count: channels * height * shape.width)
        for c in 0..<channels {
            for y in 0..<height {
                let row = y * width
                for x in 0..<shape.width {
                    var sum: Float = 0
                    for (k, weight) in columns.weights[x].enumerated() {
                        sum += weight * Float(pixels[(row + columns.first[x] + k) * channels + c])
                    }
                    horizontal[(c * height + y) * shape.width + x] = sum
                }
            }
        }
        // Vertical pass: (shape.height × shape.width) per source channel.
        var planes = [Float](repeating: 0, count: channels * shape.spatial)
        for c in 0..<channels {
            for y in 0..<shape.height {
                for x in 0..<shape.width {
                    var sum: Float = 0
                    for (k, weight) in rows.weights[y].enumerated() {
                        sum += weight * horizontal[(c * height + rows.first[y] + k) * shape.width + x]
                    }
                    planes[c * shape.spatial + y * shape.width + x] = sum
                }
            }
        }

        func byte(_ value: Float) -> UInt8 { UInt8(min(255, max(0, value.rounded()))) }
        var sample = [UInt8](repeating: 0, count: shape.count)
        for i in 0..<shape.spatial {
            switch (channels, shape.channels) {
            case (3, 1):
                sample[i] = byte(0.299 * planes[i] + 0.587 * planes[shape.spatial + i] + 0.114 * planes[2 * shape.spatial + i])
            case (1, _):
                for c in 0..<shape.channels { sample[c * shape.spatial + i] = byte(planes[i]) }
            default:
                for c in 0..<shape.channels { sample[c * shape.spatial + i] = byte(planes[c * shape.spatial + i]) }
            }
        }
        return sample
    }
}
