/// The two disjoint sets of real images an evaluation uses: every fifth sample (index ≡ 0
/// mod 5) is held out, the rest are the training images. The classifier trains on the
/// training images and reports its accuracy on the held-out ones; the metrics compare a
/// set of images against the training images, and the held-out images against them give
/// the real-vs-real floor.
public struct EvaluationSplit: Equatable {
    public let training: [Int]
    public let heldOut: [Int]

    /// The split of a dataset of `count` samples. Each part keeps its first samples only, at
    /// most `trainingLimit` and `heldOutLimit`, so that a large dataset does not make every
    /// evaluation slow (the reference statistics are recomputed by each `gantry eval`).
    public init(count: Int, trainingLimit: Int = 10_000, heldOutLimit: Int = 2_000) {
        training = Array((0..<count).lazy.filter { $0 % 5 != 0 }.prefix(trainingLimit))
        heldOut = Array((0..<count).lazy.filter { $0 % 5 == 0 }.prefix(heldOutLimit))
    }
}
