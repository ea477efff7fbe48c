import Glibc

// The classic 2-D mode-collapse benchmarks (Metz et al. 2017, "Unrolled GANs";
// Srivastava et al. 2017, "VEEGAN"): a mixture of tight Gaussians whose modes a
// collapsing generator visibly drops.

/// A finite set of 2-D points (shape 2 × 1 × 1) from an equal-weight Gaussian mixture.
/// Point i is a pure function of (seed, i): computed on demand, never stored.
public struct Mixture2D: Dataset {
    public let name: String
    public let modes: [(x: Float, y: Float)]
    /// The per-axis standard deviation of every mode.
    public let std: Float
    public let count: Int
    public let seed: UInt64
    public var shape: SampleShape { SampleShape(channels: 2) }

    private let random: CounterRandom

    public init(name: String, modes: [(x: Float, y: Float)], std: Float, count: Int = 100_000, seed: UInt64) {
        precondition(!modes.isEmpty && std > 0 && count > 0, "a mixture needs modes, a positive std and points")
        self.name = name
        self.modes = modes
        self.std = std
        self.count = count
        self.seed = seed
        random = CounterRandom(seed: seed, stream: CounterRandom.Stream.mixture)
    }

    /// 8 Gaussians evenly spaced on a circle of radius 2, std 0.02.
    public static func ring8(seed: UInt64) -> Mixture2D {
        let modes = (0..<8).map { k -> (x: Float, y: Float) in
            let angle = 2 * Float.pi * Float(k) / 8
            return (x: 2 * cosf(angle), y: 2 * sinf(angle))
        }
        return Mixture2D(name: "ring8", modes: modes, std: 0.02, seed: seed)
    }

    /// 25 Gaussians on the grid {-4, -2, 0, 2, 4}², std 0.05.
    public static func grid25(seed: UInt64) -> Mixture2D {
        let axis: [Float] = [-4, -2, 0, 2, 4]
        let modes = axis.flatMap { x in axis.map { y in (x: x, y: y) } }
        return Mixture2D(name: "grid25", modes: modes, std: 0.05, seed: seed)
    }

    /// The mode point `index` was drawn from.
    public func mode(of index: Int) -> Int { draw(index).mode }

    /// Point `index`: a uniformly chosen mode plus an isotropic Gaussian offset.
    public func point(_ index: Int) -> (x: Float, y: Float) {
        precondition(index >= 0 && index < count, "point index \(index) out of 0..<\(count)")
        var (mode, r) = draw(index)
        let centre = modes[mode]
        return (x: centre.x + std * r.normal(), y: centre.y + std * r.normal())
    }

    /// Point `index`'s mode, and its random stream positioned after that first draw.
    private func draw(_ index: Int) -> (mode: Int, random: SequentialRandom) {
        var r = SequentialRandom(random, substream: UInt64(index))
        return (r.int(below: modes.count), r)
    }

    public func write(sample index: Int, into destination: UnsafeMutablePointer<Float>, channelStride: Int) {
        let p = point(index)
        destination[0] = p.x
        destination[channelStride] = p.y
    }

    /// A square plotting half-width that shows every mode with a margin.
    public var plotRange: Float {
        let extent = modes.reduce(Float(0)) { max($0, abs($1.x), abs($1.y)) }
        return extent * 1.25 + 0.5
    }
}
