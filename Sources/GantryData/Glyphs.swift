// An MNIST-like dataset Gantry draws itself: 28 × 28 grayscale digits rendered from the
// stroke tables in GlyphStrokes.swift with per-sample handwriting jitter. Every image is
// rendered on demand from (seed, index) — no 60,000-image cache, no download.
import Glibc

/// 28 × 28 grayscale digit images in [-1, 1] (background -1, ink up to +1).
/// Sample i shows digit i % 10 in a style drawn from `CounterRandom(seed, .glyphs)` at i.
public struct Glyphs: Dataset {
    public static let side = 28
    /// Side in pixels of the unit box the stroke tables are drawn in (MNIST digits fill
    /// about 20 px of the 28 px frame; the tables leave a small margin inside the box).
    static let boxPixels: Float = 21

    public let name = "glyphs"
    public let count: Int
    public let seed: UInt64
    public var shape: SampleShape { SampleShape(channels: 1, height: Glyphs.side, width: Glyphs.side) }

    private let random: CounterRandom

    public init(seed: UInt64, count: Int = 60_000) {
        precondition(count > 0, "Glyphs needs at least one sample")
        self.seed = seed
        self.count = count
        random = CounterRandom(seed: seed, stream: CounterRandom.Stream.glyphs)
    }

    /// The digits, each sample labelled with the digit whose strokes it was drawn from.
    public var classNames: [String] { (0...9).map(String.init) }
    public func label(ofSample index: Int) -> Int? { digit(of: index) }

    /// The digit shown by sample `index`.
    func digit(of index: Int) -> Int { index % 10 }

    public func write(sample index: Int, into destination: UnsafeMutablePointer<Float>, channelStride: Int) {
        precondition(index >= 0 && index < count, "glyph index \(index) out of 0..<\(count)")
        let digit = digit(of: index)
        var r = SequentialRandom(random, substream: UInt64(index))
        let variants = glyphSegments[digit]
        let segments = variants[r.int(below: variants.count)]
        let style = Style(&r)
        render(segments, style: style, into: destination)
    }

    /// One sample's handwriting: where the pen goes and how thick it is.
    struct Style {
        var cosAngle: Float, sinAngle: Float
        var scaleX: Float, scaleY: Float, shear: Float
        var centreX: Float, centreY: Float
        var halfWidth: Float
        // A gentle sinusoidal warp of the unit box: wobbly strokes, not rigid fonts.
        var warpX: Float, warpY: Float, frequencyX: Float, frequencyY: Float, phaseX: Float, phaseY: Float

        init(_ r: inout SequentialRandom) {
            let angle = r.uniform(-12, 12) * .pi / 180
            cosAngle = cosf(angle)
            sinAngle = sinf(angle)
            let scale = r.uniform(0.85, 1.1)
            let aspect = r.uniform(0.88, 1.08)  // some writers are narrow, some wide
            scaleX = scale * aspect
            scaleY = scale
            shear = r.uniform(-0.25, 0.25)  // slant
            let half = Float(Glyphs.side) / 2
            centreX = half + r.uniform(-2, 2)
            centreY = half + r.uniform(-2, 2)
            halfWidth = r.uniform(1.6, 3.0) / 2
            warpX = r.uniform(-0.035, 0.035)
            warpY = r.uniform(-0.035, 0.035)
            frequencyX = r.uniform(3, 7)
            frequencyY = r.uniform(3, 7)
            phaseX = r.uniform(0, 2 * .pi)
            phaseY = r.uniform(0, 2 * .pi)
        }

        /// Unit box (centred on 0) → pixel coordinates: warp, shear, scale, rotate, shift.
        func apply(_ u: SIMD2<Float>) -> SIMD2<Float> {
            let wx = u.x + warpX * sinf(frequencyX * u.y + phaseX)
            let wy = u.y + warpY * sinf(frequencyY * u.x + phaseY)
            var x = wx * Glyphs.boxPixels, y = wy * Glyphs.boxPixels
            x += shear * y
            x *= scaleX
            y *= scaleY
            return SIMD2(cosAngle * x - sinAngle * y + centreX, sinAngle * x + cosAngle * y + centreY)
        }
    }

    /// Anti-aliased rendering by distance to the nearest segment: ink 1 inside the stroke,
    /// a smoothstep over `soft` pixels at its edge (that falloff is MNIST's slight blur).
    /// Overlapping strokes take the maximum, so joints do not glow brighter.
    func render(_ segments: [SIMD4<Float>], style: Style, into image: UnsafeMutablePointer<Float>) {
        let side = Glyphs.side
        let soft: Float = 1.3
        let inner = style.halfWidth - soft / 2
        let reach = style.halfWidth + soft / 2
        image.update(repeating: -1, count: side * side)
        for segment in segments {
            let a = style.apply(SIMD2(segment.x, segment.y))
            let b = style.apply(SIMD2(segment.z, segment.w))
            // Only pixels whose centres can be within `reach` of the segment.
            let x0 = max(0, Int((min(a.x, b.x) - reach).rounded(.down)))
            let x1 = min(side - 1, Int((max(a.x, b.x) + reach).rounded(.up)))
            let y0 = max(0, Int((min(a.y, b.y) - reach).rounded(.down)))
            let y1 = min(side - 1, Int((max(a.y, b.y) + reach).rounded(.up)))
            if x0 > x1 || y0 > y1 { continue }
            // Scalar arithmetic: SIMD types are slow in unoptimised (debug) builds.
            let abx = b.x - a.x, aby = b.y - a.y
            let inverseLength2 = 1 / max(abx * abx + aby * aby, 1e-12)
            let reach2 = reach * reach, ramp = 1 / (reach - inner)
            for y in y0...y1 {
                let row = image + y * side
                let py = Float(y) + 0.5 - a.y
                for x in x0...x1 {
                    let px = Float(x) + 0.5 - a.x
                    let t = min(max((px * abx + py * aby) * inverseLength2, 0), 1)
                    let dx = px - t * abx, dy = py - t * aby
                    let distance2 = dx * dx + dy * dy
                    if distance2 >= reach2 { continue }
                    let s = min((reach - distance2.squareRoot()) * ramp, 1)
                    let ink = s * s * (3 - 2 * s)
                    row[x] = max(row[x], 2 * ink - 1)
                }
            }
        }
    }
}

/// glyphSegments[digit][variant]: the stroke tables flattened once into segments
/// (x0, y0, x1, y1) with the unit box centred on 0, ready for the per-sample transform.
let glyphSegments: [[[SIMD4<Float>]]] = digitStrokes.map { variants in
    variants.map { strokes in
        strokes.flatMap { stroke -> [SIMD4<Float>] in
            let centred = stroke.map { $0 - 0.5 }
            if centred.count == 1 { return [SIMD4(lowHalf: centred[0], highHalf: centred[0])] }  // a dot
            return zip(centred, centred.dropFirst()).map { SIMD4(lowHalf: $0.0, highHalf: $0.1) }
        }
    }
}
