/// `color32:SPEC`: a grayscale dataset of at most 32×32 (glyphs, or MNIST-format files of
/// 28×28) as 3×32×32 colour images, for `dcgan32`: each sample is centred on a 32×32 black
/// canvas (2 pixels of border for 28×28) and its ink takes a colour of its own, drawn from the seed and the sample's
/// index, so that the generator has to learn colour as well as shape ("coloured MNIST").
public final class Colorized: Dataset {
    public static let side = 32
    public let base: Dataset
    private let random: CounterRandom
    /// The base sample, read into a reusable plane (one sample at a time).
    private let plane: UnsafeMutablePointer<Float>

    public init(base: Dataset, seed: UInt64) throws {
        let shape = base.shape
        guard shape.channels == 1, shape.height <= Self.side, shape.width <= Self.side else {
            throw DatasetError.unsupportedBase(spec: "color32:\(base.name)",
                                               reason: "color32 needs grayscale samples of at most 32x32, got \(shape)")
        }
        self.base = base
        random = CounterRandom(seed: seed, stream: CounterRandom.Stream.colors)
        plane = .allocate(capacity: shape.spatial)
    }

    deinit { plane.deallocate() }

    public var name: String { "color32:\(base.name)" }
    public var count: Int { base.count }
    public var residentBytes: Int { base.residentBytes + 4 * base.shape.spatial }
    public var shape: SampleShape { SampleShape(channels: 3, height: Self.side, width: Self.side) }
    /// Colouring keeps the class: the base's labels.
    public var classNames: [String] { base.classNames }
    public func label(ofSample index: Int) -> Int? { base.label(ofSample: index) }

    /// The ink colour of `index`: a random hue at full saturation, each channel in [0, 1].
    public func color(of index: Int) -> (Float, Float, Float) {
        let hue = random.uniform(at: UInt64(index)) * 6
        let sector = Int(hue) % 6, f = hue - Float(Int(hue))
        switch sector {
        case 0: return (1, f, 0)
        case 1: return (1 - f, 1, 0)
        case 2: return (0, 1, f)
        case 3: return (0, 1 - f, 1)
        case 4: return (f, 0, 1)
        default: return (1, 0, 1 - f)
        }
    }

    public func write(sample index: Int, into destination: UnsafeMutablePointer<Float>, channelStride: Int) {
        let source = base.shape
        base.write(sample: index, into: plane, channelStride: source.spatial)
        let top = (Self.side - source.height) / 2, left = (Self.side - source.width) / 2
        let (r, g, b) = color(of: index)
        let red = destination, green = destination + channelStride, blue = destination + 2 * channelStride
        for channel in 0..<3 { (destination + channel * channelStride).update(repeating: -1, count: Self.side * Self.side) }
        for y in 0..<source.height {
            for x in 0..<source.width {
                // Ink in [0, 1] scaled by each channel's weight, back to [-1, 1].
                let ink = (plane[y * source.width + x] + 1) / 2, at = (top + y) * Self.side + left + x
                red[at] = 2 * ink * r - 1
                green[at] = 2 * ink * g - 1
                blue[at] = 2 * ink * b - 1
            }
        }
    }
}
