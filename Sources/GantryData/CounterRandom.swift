// Everything random in Gantry is *addressed*, not drawn: a number is a function of
// (seed, stream, address). Nothing depends on how many numbers were drawn before, by
// whom, or on how many ranks share the work.
import Glibc

/// A counter-based random source keyed by a run seed and a purpose tag (`stream`).
///
/// Streams keep unrelated consumers apart: the generator's noise, the weight
/// initialisation, the epoch permutations and the dataset synthesis would otherwise
/// read the same numbers whenever their counters happened to coincide.
///
/// Address map of the 128-bit Philox counter `(x, y)` (two 64-bit halves):
/// - `y == 0`: direct addressing by `x` (`uniform(at:)`, `normal(at:)`, `block(_:_:)`);
/// - `y` bit 63 set: `fillNormal` — `x` = a, `y` = 2⁶³ | b << 20 | block-within-vector;
/// - `y` bit 62 set: `SequentialRandom` — `x` = block number, `y` = 2⁶² | substream.
/// The tag bits keep the three address spaces disjoint.
public struct CounterRandom: Equatable, Sendable {
    public let seed: UInt64
    public let stream: UInt64
    /// The Philox key, derived from (seed, stream) by Philox itself (see `init`).
    public let key: SIMD2<UInt32>

    /// Purpose tags, spelled as ASCII so they are recognisable in a debugger and cannot
    /// collide with small numbers another module picks for its own streams. GantryData's
    /// samplers and datasets use `permutation`, `mixture`, `glyphs` and `colors`; the others are
    /// offered to the trainer.
    public enum Stream {
        public static let noise: UInt64 = 0x6E6F_6973_65          // "noise"
        public static let weights: UInt64 = 0x7765_6967_6874_73    // "weights"
        public static let evaluation: UInt64 = 0x6576_616C         // "eval"
        public static let permutation: UInt64 = 0x7065_726D        // "perm"
        public static let mixture: UInt64 = 0x6D69_7874            // "mixt"
        public static let glyphs: UInt64 = 0x676C_7970_6873        // "glyphs"
        public static let colors: UInt64 = 0x636F_6C6F_7273        // "colors"
    }

    public init(seed: UInt64, stream: UInt64) {
        self.seed = seed
        self.stream = stream
        // Philox's key is only 64 bits, but (seed, stream) is 128. Hashing them with one
        // Philox block (the seed as key, the stream in the counter, a constant tag so it
        // never equals a data block) gives a key that differs for every pair in practice
        // and leaves the whole 128-bit counter free for addressing.
        let derived = Philox4x32.block(
            counter: SIMD4(UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32),
                           0x4B45_5953 /* "KEYS" */, 0x4741_4E54 /* "GANT" */),
            key: SIMD2(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
        key = SIMD2(derived.x, derived.y)
    }

    /// Four uniform 32-bit words at the 128-bit address (x, y).
    @inlinable
    public func block(_ x: UInt64, _ y: UInt64) -> SIMD4<UInt32> {
        Philox4x32.block(
            counter: SIMD4(UInt32(truncatingIfNeeded: x), UInt32(truncatingIfNeeded: x >> 32),
                           UInt32(truncatingIfNeeded: y), UInt32(truncatingIfNeeded: y >> 32)),
            key: key)
    }

    /// A uniform Float in the open interval (0, 1) at `counter`.
    public func uniform(at counter: UInt64) -> Float {
        Self.openUnit(block(counter, 0).x)
    }

    /// A standard normal at `counter` (the first of the block's Box–Muller pair).
    public func normal(at counter: UInt64) -> Float {
        let w = block(counter, 0)
        return Self.boxMuller(w.x, w.y).0
    }

    /// Writes `count` standard normals that depend only on (seed, stream, a, b, position):
    /// element `p` goes to `destination[p * stride]`.
    ///
    /// Used for the noise vector z of the sample with global index `b` in batch counter
    /// `a`. In the channel-major layout element d of local sample j lives at d·n + j, so a
    /// rank passes `destination + j` and `stride = n`; the values do not depend on n, j,
    /// or which other samples are filled, which keeps training world-size invariant.
    public func fillNormal(a: UInt64, b: UInt64, count: Int, into destination: UnsafeMutablePointer<Float>,
                           stride: Int) {
        precondition(b < 1 << 43, "fillNormal: sample index \(b) exceeds 2^43")
        precondition(count >= 0 && count <= 4 << 20, "fillNormal: count \(count) exceeds 2^22")
        var position = 0
        var blockIndex: UInt64 = 0
        while position < count {
            let w = block(a, 1 << 63 | b << 20 | blockIndex)
            // One block = 4 words = two Box–Muller pairs = 4 normals.
            let (n0, n1) = Self.boxMuller(w.x, w.y)
            let (n2, n3) = Self.boxMuller(w.z, w.w)
            let remaining = count - position
            let base = destination + position * stride
            base[0] = n0
            if remaining > 1 { base[stride] = n1 }
            if remaining > 2 { base[2 * stride] = n2 }
            if remaining > 3 { base[3 * stride] = n3 }
            position += 4
            blockIndex += 1
        }
    }

    /// A channel-major batch of noise vectors: `dimension` normals for each of `count`
    /// samples, sample j being global sample `firstSample + j` of batch counter `a`
    /// (`fillNormal` with b = firstSample + j, into `destination + j`, stride `count`).
    public func fillNormalBatch(a: UInt64, firstSample: Int, count: Int, dimension: Int,
                                into destination: UnsafeMutablePointer<Float>) {
        for j in 0..<count {
            fillNormal(a: a, b: UInt64(firstSample + j), count: dimension, into: destination + j, stride: count)
        }
    }

    /// Maps 23 random bits to (k + 0.5) / 2²³: strictly inside (0, 1) and exact in Float
    /// (24 significant bits suffice), so neither 0 nor 1 can appear after rounding.
    @inlinable
    public static func openUnit(_ word: UInt32) -> Float {
        (Float(word >> 9) + 0.5) * 0x1p-23
    }

    /// Box–Muller in Double: u1 ∈ (0, 1) so the logarithm is finite, tails reach ±6.6σ.
    @inlinable
    public static func boxMuller(_ w0: UInt32, _ w1: UInt32) -> (Float, Float) {
        let u1 = (Double(w0) + 0.5) * 0x1p-32
        let angle = 2 * Double.pi * (Double(w1) * 0x1p-32)
        let radius = (-2 * log(u1)).squareRoot()
        return (Float(radius * cos(angle)), Float(radius * sin(angle)))
    }
}

/// A sequential view of one substream of a `CounterRandom`: block counter 0, 1, 2, …
/// Convenient where numbers are consumed in order (shuffles, weight initialisation,
/// jittering one glyph); still a pure function of (seed, stream, substream, position).
public struct SequentialRandom: RandomNumberGenerator {
    public let source: CounterRandom
    public let substream: UInt64
    /// The next Philox block to compute.
    public private(set) var blockCounter: UInt64 = 0
    private var buffer = SIMD4<UInt32>()
    private var used = 4
    private var spareNormal: Float?

    public init(_ source: CounterRandom, substream: UInt64 = 0) {
        precondition(substream < 1 << 62, "SequentialRandom: substream \(substream) exceeds 2^62")
        self.source = source
        self.substream = substream
    }

    public init(seed: UInt64, stream: UInt64, substream: UInt64 = 0) {
        self.init(CounterRandom(seed: seed, stream: stream), substream: substream)
    }

    /// The next uniform 32-bit word.
    public mutating func next32() -> UInt32 {
        if used == 4 {
            buffer = source.block(blockCounter, 1 << 62 | substream)
            blockCounter += 1
            used = 0
        }
        defer { used += 1 }
        return buffer[used]
    }

    /// The next uniform 64-bit word (`RandomNumberGenerator` conformance).
    public mutating func next() -> UInt64 {
        UInt64(next32()) << 32 | UInt64(next32())
    }

    /// A uniform Float in (0, 1).
    public mutating func uniform() -> Float {
        CounterRandom.openUnit(next32())
    }

    /// A uniform Float in (low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * uniform()
    }

    /// A standard normal; Box–Muller yields pairs, the second is kept for the next call.
    public mutating func normal() -> Float {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        let (n0, n1) = CounterRandom.boxMuller(next32(), next32())
        spareNormal = n1
        return n0
    }

    /// A uniform integer in 0..<bound without modulo bias (Lemire's multiply-and-reject).
    public mutating func int(below bound: Int) -> Int {
        precondition(bound > 0, "int(below:) needs a positive bound")
        let m = UInt64(bound)
        var product = next().multipliedFullWidth(by: m)
        if product.low < m {
            // Reject the few low words that would make some results more likely.
            let threshold = (0 &- m) % m
            while product.low < threshold {
                product = next().multipliedFullWidth(by: m)
            }
        }
        return Int(product.high)
    }
}
