// Pictures of a batch for a human to look at during training.

/// Tiles a batch of images into one PNG.
public enum ImageGrid {
    /// Pixels of border around and between tiles.
    public static let border = 2
    /// Border grey: distinct from both black background and white ink.
    public static let borderValue: UInt8 = 96

    /// How the tiles are arranged: the training grids use the defaults.
    public struct Layout {
        /// Rows of tiles; nil: a near-square grid of ceil(√count) columns.
        public var rows: Int?
        /// Pixels of border around and between tiles.
        public var padding: Int
        /// Each pixel of the grid (borders too) drawn as a `scale` × `scale` square.
        public var scale: Int

        public init(rows: Int? = nil, padding: Int = ImageGrid.border, scale: Int = 1) {
            precondition((rows.map { $0 > 0 } ?? true) && padding >= 0 && scale > 0, "ImageGrid.Layout: rows and scale must be positive, padding not negative")
            self.rows = rows
            self.padding = padding
            self.scale = scale
        }
    }

    /// Tiles `count` images of a channel-major (C, count, H, W) batch with values in
    /// [-1, 1] (clamped) into a grid, filled row by row. `channels` is 1 (gray) or 3 (RGB).
    public static func make(batch: UnsafePointer<Float>, count: Int, channels: Int, height: Int,
                            width: Int, layout: Layout = Layout()) -> PNGImage {
        precondition(count > 0 && height > 0 && width > 0, "ImageGrid needs at least one non-empty image")
        precondition(channels == 1 || channels == 3, "ImageGrid draws 1 (gray) or 3 (RGB) channels")
        let columns = layout.rows.map { (count + $0 - 1) / $0 } ?? Int(Double(count).squareRoot().rounded(.up))
        let rows = (count + columns - 1) / columns
        let padding = layout.padding, scale = layout.scale
        let gridWidth = (columns * (width + padding) + padding) * scale
        let gridHeight = (rows * (height + padding) + padding) * scale
        var image = PNGImage(width: gridWidth, height: gridHeight, channels: channels, filledWith: borderValue)
        let plane = height * width
        image.pixels.withUnsafeMutableBufferPointer { out in
            for n in 0..<count {
                let left = padding + (n % columns) * (width + padding)
                let top = padding + (n / columns) * (height + padding)
                for c in 0..<channels {
                    let source = batch + (c * count + n) * plane
                    for y in 0..<height * scale {
                        let row = ((top * scale + y) * gridWidth + left * scale) * channels + c
                        for x in 0..<width * scale {
                            out[row + x * channels] = byte(source[y / scale * width + x / scale])
                        }
                    }
                }
            }
        }
        return image
    }

    /// [-1, 1] → 0…255, clamped; NaN shows as black rather than trapping.
    static func byte(_ value: Float) -> UInt8 {
        let scaled = (value + 1) * 127.5
        guard scaled > 0 else { return 0 }
        return scaled >= 255 ? 255 : UInt8(scaled.rounded())
    }
}
