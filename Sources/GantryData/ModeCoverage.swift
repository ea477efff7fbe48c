import Glibc

// Mode coverage for the 2-D mixtures, as in the Unrolled-GAN / VEEGAN papers: a
// generated point is "high quality" (HQ) when it lies within 3 std of its nearest
// mode's centre; a mode is covered when at least one HQ point falls on it. Reverse KL as in
// PacGAN (Lin et al. 2018): every point goes to its nearest mode, HQ or not, and the
// histogram p of those assignments is compared with the uniform mixture weights.

/// How well a set of generated 2-D points covers a mixture's modes.
public struct ModeCoverage: Equatable, CustomStringConvertible {
    /// Modes in the mixture.
    public var modes: Int
    /// Modes holding at least one HQ sample.
    public var modesCovered: Int
    /// Modes holding HQ samples amounting to at least 1% of all samples (a stricter count:
    /// a handful of stray points does not make a mode "learned").
    public var modesWithOnePercent: Int
    /// Fraction of samples that are HQ, in [0, 1].
    public var highQualityShare: Double
    /// KL(p ‖ uniform) = Σ pᵢ log(K pᵢ) (natural log, 0·log 0 = 0), where pᵢ is the share of
    /// the samples whose nearest mode is i: 0 when the samples spread evenly over the K
    /// modes, log K when they all sit at one. Non-finite samples have no nearest mode and are
    /// left out of p.
    public var reverseKL: Double
    /// Samples evaluated.
    public var samples: Int

    public init(modes: Int, modesCovered: Int, modesWithOnePercent: Int, highQualityShare: Double, reverseKL: Double, samples: Int) {
        self.modes = modes
        self.modesCovered = modesCovered
        self.modesWithOnePercent = modesWithOnePercent
        self.highQualityShare = highQualityShare
        self.reverseKL = reverseKL
        self.samples = samples
    }

    /// Evaluates `samples` against the mixture's modes and std.
    public init(samples points: [(x: Float, y: Float)], mixture: Mixture2D) {
        self.init(count: points.count, mixture: mixture) { points[$0] }
    }

    /// Evaluates a channel-major (2, count) batch — x's in [0, count), y's in [count, 2·count) —
    /// as the generator writes it.
    public init(channelMajor batch: UnsafePointer<Float>, count: Int, mixture: Mixture2D) {
        self.init(count: count, mixture: mixture) { (x: batch[$0], y: batch[count + $0]) }
    }

    private init(count: Int, mixture: Mixture2D, point: (Int) -> (x: Float, y: Float)) {
        var tally = Tally(mixture: mixture)
        tally.add(count: count, point: point)
        self = tally.coverage
    }

    /// The counts behind a `ModeCoverage`, added to a batch at a time: `gantry eval`
    /// evaluates any number of samples without holding them.
    public struct Tally {
        public let mixture: Mixture2D
        private var hqPerMode: [Int]
        /// Samples whose nearest mode is each mode, HQ or not (for the reverse KL).
        private var nearestPerMode: [Int]
        private var hq = 0
        private var samples = 0

        public init(mixture: Mixture2D) {
            self.mixture = mixture
            hqPerMode = [Int](repeating: 0, count: mixture.modes.count)
            nearestPerMode = hqPerMode
        }

        /// Adds a channel-major (2, count) batch, as the generator writes it.
        public mutating func add(channelMajor batch: UnsafePointer<Float>, count: Int) {
            add(count: count) { (x: batch[$0], y: batch[count + $0]) }
        }

        mutating func add(count: Int, point: (Int) -> (x: Float, y: Float)) {
            let radius = 3 * mixture.std
            for i in 0..<count {
                let p = point(i)
                var nearest = 0
                var nearestDistance = Float.infinity
                for (m, centre) in mixture.modes.enumerated() {
                    let dx = p.x - centre.x, dy = p.y - centre.y
                    let d = dx * dx + dy * dy
                    if d < nearestDistance { nearestDistance = d; nearest = m }
                }
                if nearestDistance.isFinite { nearestPerMode[nearest] += 1 }
                // NaN coordinates never compare below the radius, so they count as low quality.
                if nearestDistance <= radius * radius {
                    hqPerMode[nearest] += 1
                    hq += 1
                }
            }
            samples += count
        }

        /// The coverage of every sample added so far.
        public var coverage: ModeCoverage {
            let onePercent = 0.01 * Double(samples)
            let assigned = Double(nearestPerMode.reduce(0, +)), modes = Double(mixture.modes.count)
            let reverseKL = nearestPerMode.reduce(0.0) { total, count in
                guard count > 0 else { return total }
                let p = Double(count) / assigned
                return total + p * log(modes * p)
            }
            return ModeCoverage(modes: mixture.modes.count,
                                modesCovered: hqPerMode.filter { $0 >= 1 }.count,
                                modesWithOnePercent: hqPerMode.filter { $0 >= 1 && Double($0) >= onePercent }.count,
                                highQualityShare: samples == 0 ? 0 : Double(hq) / Double(samples),
                                reverseKL: reverseKL,
                                samples: samples)
        }
    }

    public var description: String {
        let share = (highQualityShare * 1000).rounded() / 10
        return "modes \(modesCovered)/\(modes) covered (\(modesWithOnePercent) with ≥1%), HQ \(share)% of \(samples), reverse KL \(fixed(reverseKL, 4))"
    }
}
