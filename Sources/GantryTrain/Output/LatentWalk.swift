import ArgumentParser
import Glibc

/// Walks through the noise space between pairs of noise vectors (`gantry sample --interpolate`).
public enum LatentWalk: String, CaseIterable, ExpressibleByArgument {
    /// Along the great circle between the two vectors (slerp, White 2016): every point keeps
    /// a norm between theirs, near the √dimension where Gaussian noise lives, whereas the
    /// middle of a straight line is shorter than any noise vector the generator was trained on.
    case spherical
    /// Along the straight line between the two vectors.
    case linear

    /// `walks` walks of `steps` steps each (`steps + 1` points, both ends included): walk `w`
    /// goes from vector `2w` to vector `2w + 1` of `endpoints` (sample-major, `dimension`
    /// each). Returns the points, sample-major, walk after walk.
    public func points(walks: Int, steps: Int, endpoints: [Float], dimension: Int) -> [Float] {
        precondition(walks > 0 && steps > 0 && endpoints.count >= 2 * walks * dimension, "LatentWalk: too few endpoints")
        var points: [Float] = []
        points.reserveCapacity(walks * (steps + 1) * dimension)
        for w in 0..<walks {
            let a = endpoints[(2 * w) * dimension ..< (2 * w + 1) * dimension].map(Double.init)
            let b = endpoints[(2 * w + 1) * dimension ..< (2 * w + 2) * dimension].map(Double.init)
            for i in 0...steps {
                let (wa, wb) = weights(a, b, t: Double(i) / Double(steps))
                for d in 0..<dimension { points.append(Float(wa * a[d] + wb * b[d])) }
            }
        }
        return points
    }

    /// The weights of the two ends at `t` ∈ [0, 1].
    private func weights(_ a: [Double], _ b: [Double], t: Double) -> (Double, Double) {
        let norms = norm(a) * norm(b)
        // Nearly parallel vectors (or a zero one) leave the angle undefined: the line is then the arc.
        guard self == .spherical, norms > 0 else { return (1 - t, t) }
        let cosine = max(-1, min(1, zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } / norms))
        let angle = acos(cosine)
        guard sin(angle) > 1e-6 else { return (1 - t, t) }
        return (sin((1 - t) * angle) / sin(angle), sin(t * angle) / sin(angle))
    }

    private func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}
