// Pictures of a batch for a human to look at during training.

/// Tiles a batch of images into one PNG.
public enum ImageGrid {
    /// Pixels of border around and between tiles.
    public static let border = 2
    /// Border grey: distinct from both black background and white ink.
    public static let borderValue: UInt8 = 96

    /// Tiles `count` images of a channel-major (C, count, H, W) batch with values in
    /// [-1, 1] (clamped) into a near-square grid: ceil(√count) columns. `channels` is 1
    /// (gray) or 3 (RGB).
    public static func make(batch: UnsafePointer<Float>, count: Int, channels: Int, height: Int,
                            width: Int) -> PNGImage {
        precondition(count > 0 && height > 0 && width > 0, "ImageGrid needs at least one non-empty image")
        precondition(channels == 1 || channels == 3, "ImageGrid draws 1 (gray) or 3 (RGB) channels")
        let columns = Int(Double(count).squareRoot().rounded(.up))
        let rows = (count + columns - 1) / columns
        let gridWidth = columns * (width + border) + border
        let gridHeight = rows * (height + border) + border
        var image = PNGImage(width: gridWidth, height: gridHeight, channels: channels, filledWith: borderValue)
        let plane = height * width
        image.pixels.withUnsafeMutableBufferPointer { out in
            for n in 0..<count {
                let left = border + (n % columns) * (width + border)
                let top = border + (n / columns) * (height + border)
                for c in 0..<channels {
                    let source = batch + (c * count + n) * plane
                    for y in 0..<height {
                        for x in 0..<width {
                            out[((top + y) * gridWidth + left + x) * channels + c] = byte(source[y * width + x])
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
