import Glibc

// Hand-written stroke tables for the ten digits, so Gantry has an MNIST-like image
// dataset without downloading anything. Coordinates are in a unit box: x to the right,
// y DOWN (like image rows), the digit roughly within x ∈ [0.2, 0.8], y ∈ [0.08, 0.94].
// Angles of arcs follow the same y-down convention: 0° right, 90° down, 180° left,
// 270° up; increasing angle runs clockwise on screen.

/// A point of a stroke in the unit box.
typealias GlyphPoint = SIMD2<Float>

/// A polyline through `points`.
func polyline(_ points: (Float, Float)...) -> [GlyphPoint] {
    points.map { GlyphPoint($0.0, $0.1) }
}

/// An elliptical arc as a polyline, about one vertex per 15°; `to` may be below `from`
/// (counter-clockwise) or beyond 360° (wrapping round).
func arc(_ cx: Float, _ cy: Float, _ rx: Float, _ ry: Float, from: Float, to: Float) -> [GlyphPoint] {
    let steps = max(3, Int((abs(to - from) / 15).rounded(.up)))
    return (0...steps).map { s in
        let degrees = from + (to - from) * Float(s) / Float(steps)
        let radians = degrees * .pi / 180
        return GlyphPoint(cx + rx * cosf(radians), cy + ry * sinf(radians))
    }
}

/// One way of writing a digit: a few strokes, each a polyline.
typealias GlyphVariant = [[GlyphPoint]]

/// digitStrokes[d] lists the handwriting variants of digit d.
let digitStrokes: [[GlyphVariant]] = [
    // 0: an ellipse, closed with a little overlap as a pen would, or slightly tilted open.
    [
        [arc(0.5, 0.5, 0.25, 0.42, from: 260, to: 630)],
        [arc(0.5, 0.5, 0.22, 0.41, from: 240, to: 590)],
    ],
    // 1: a plain vertical stroke, with a flag, or with a flag and a base.
    [
        [polyline((0.53, 0.08), (0.47, 0.93))],
        [polyline((0.34, 0.26), (0.55, 0.08), (0.5, 0.93))],
        [polyline((0.36, 0.24), (0.54, 0.08), (0.52, 0.92)), polyline((0.34, 0.92), (0.7, 0.92))],
    ],
    // 2: a hook over the top, a diagonal down to the left, a foot to the right.
    [
        [arc(0.5, 0.32, 0.25, 0.23, from: 195, to: 395) + polyline((0.24, 0.92), (0.8, 0.91))],
        // …or a rounder hook whose diagonal sweeps further left before the foot.
        [arc(0.5, 0.33, 0.26, 0.24, from: 185, to: 380) + polyline((0.22, 0.9), (0.82, 0.88))],
    ],
    // 3: two right-facing bowls meeting in the middle.
    [
        [arc(0.48, 0.29, 0.23, 0.2, from: 200, to: 450), arc(0.48, 0.7, 0.27, 0.23, from: 270, to: 515)],
        [polyline((0.26, 0.1), (0.72, 0.1), (0.46, 0.44)) + arc(0.48, 0.68, 0.26, 0.24, from: 275, to: 510)],
    ],
    // 4: closed (diagonal, bar, stem) or open-topped (two downstrokes and a bar).
    [
        [polyline((0.64, 0.08), (0.2, 0.64), (0.82, 0.64)), polyline((0.64, 0.08), (0.64, 0.94))],
        [polyline((0.3, 0.08), (0.25, 0.6), (0.8, 0.6)), polyline((0.67, 0.12), (0.65, 0.94))],
    ],
    // 5: a top bar, a short downstroke, then a bowl opening to the left.
    [
        [polyline((0.75, 0.1), (0.33, 0.1), (0.29, 0.47)) + arc(0.5, 0.67, 0.26, 0.25, from: 215, to: 505)],
        [polyline((0.33, 0.1), (0.29, 0.47)) + arc(0.5, 0.67, 0.26, 0.25, from: 215, to: 505),
         polyline((0.33, 0.1), (0.76, 0.12))],
    ],
    // 6: a long stroke from the upper right curving down into a loop at the bottom.
    [
        [arc(0.63, 0.6, 0.37, 0.5, from: 288, to: 165) + arc(0.5, 0.7, 0.22, 0.22, from: 175, to: 540)],
        [polyline((0.66, 0.08), (0.36, 0.5)) + arc(0.5, 0.7, 0.22, 0.22, from: 200, to: 560)],
    ],
    // 7: a top bar and a long diagonal, optionally crossed.
    [
        [polyline((0.22, 0.1), (0.78, 0.1), (0.42, 0.93))],
        [polyline((0.22, 0.12), (0.78, 0.1), (0.44, 0.93)), polyline((0.38, 0.52), (0.72, 0.52))],
    ],
    // 8: two stacked loops, the lower one larger.
    [
        [arc(0.5, 0.29, 0.2, 0.2, from: 0, to: 360), arc(0.5, 0.7, 0.25, 0.22, from: 0, to: 360)],
        // …or one continuous figure-eight-like stroke of two loops drawn in turn.
        [arc(0.5, 0.28, 0.19, 0.19, from: 90, to: 450), arc(0.5, 0.69, 0.24, 0.22, from: 270, to: 630)],
    ],
    // 9: a loop at the top and a stem down from its right side, straight or curved.
    [
        [arc(0.48, 0.3, 0.22, 0.21, from: 0, to: 360), polyline((0.7, 0.28), (0.68, 0.6), (0.6, 0.93))],
        [arc(0.48, 0.3, 0.22, 0.21, from: 10, to: 370) + polyline((0.69, 0.5), (0.68, 0.93))],
    ],
]
