// A scatter plot of real and generated 2-D points: the quickest way to see mode
// collapse on ring8 / grid25.

public enum ScatterPlot {
    public static let realColour: (UInt8, UInt8, UInt8) = (60, 110, 190)   // blue
    public static let fakeColour: (UInt8, UInt8, UInt8) = (235, 90, 20)    // orange-red
    static let axisColour: (UInt8, UInt8, UInt8) = (215, 215, 215)

    /// Plots the square [-range, range]² on a white `size` × `size` RGB image with light
    /// axes through the origin; real points first, generated points on top. Points are
    /// small translucent dots so dense modes read as solid and stray points stay visible.
    public static func make(real: [(Float, Float)], fake: [(Float, Float)], range: Float, size: Int = 512) -> PNGImage {
        precondition(range > 0 && size >= 8, "ScatterPlot needs a positive range and size")
        var image = PNGImage(width: size, height: size, channels: 3, filledWith: 255)
        let scale = Float(size) / (2 * range)
        let centre = size / 2
        image.pixels.withUnsafeMutableBufferPointer { out in
            for i in 0..<size {
                blend(out, size, x: i, y: centre, colour: axisColour, alpha: 1)
                blend(out, size, x: centre, y: i, colour: axisColour, alpha: 1)
            }
            for (points, colour, alpha) in [(real, realColour, Float(0.35)), (fake, fakeColour, Float(0.5))] {
                for (px, py) in points where px.isFinite && py.isFinite {
                    // y grows upwards in the plot, downwards in the image.
                    let x = Int(((px + range) * scale).rounded(.down))
                    let y = Int(((range - py) * scale).rounded(.down))
                    for dy in -1...1 {
                        for dx in -1...1 {
                            // A 3 × 3 dot with softer corners.
                            let weight: Float = dx == 0 || dy == 0 ? 1 : 0.4
                            blend(out, size, x: x + dx, y: y + dy, colour: colour, alpha: alpha * weight)
                        }
                    }
                }
            }
        }
        return image
    }

    /// Alpha-blends `colour` into pixel (x, y) of a size × size RGB buffer; off-image is ignored.
    private static func blend(_ out: UnsafeMutableBufferPointer<UInt8>, _ size: Int, x: Int, y: Int,
                              colour: (UInt8, UInt8, UInt8), alpha: Float) {
        guard x >= 0, x < size, y >= 0, y < size else { return }
        let i = (y * size + x) * 3
        func mix(_ old: UInt8, _ new: UInt8) -> UInt8 {
            UInt8((Float(old) * (1 - alpha) + Float(new) * alpha).rounded())
        }
        out[i] = mix(out[i], colour.0)
        out[i + 1] = mix(out[i + 1], colour.1)
        out[i + 2] = mix(out[i + 2], colour.2)
    }
}
