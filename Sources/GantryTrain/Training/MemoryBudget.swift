import GantryNN
import GantryData

/// What a command will hold in memory per rank, computed before it allocates anything,
/// and the refusal when that is more than this node allows (`MemoryLimit`): one line with
/// both amounts and the flag to change, a usage error (exit 64).
public struct MemoryBudget {
    /// The command and the flags its memory grows with, e.g. "dcgan28 at --batch 60000".
    public let what: String
    public let bytes: Double
    /// What to do about it, e.g. "lower --batch".
    public let remedy: String

    public init(what: String, bytes: Double, remedy: String) {
        self.what = what
        self.bytes = bytes
        self.remedy = remedy
    }

    /// Throws when the budget is above `limit`.
    public func check(_ limit: MemoryLimit) throws {
        guard bytes > limit.bytesPerRank else { return }
        throw GantryError.usage("\(what) needs about \(Self.size(bytes)) per rank; this node allows "
                                + "\(Self.size(limit.bytesPerRank)) per rank (\(limit.source)); \(remedy)")
    }

    /// Throws when the budget is above what this node allows a rank of `worldSize`.
    public func check(worldSize: Int) throws { try check(MemoryLimit.current(worldSize: worldSize)) }

    /// `train` on one rank: the trainer's model (`ModelKind.trainerFloats`), the generator of
    /// the run's sample pictures and its noise, and the dataset's own memory, which every
    /// rank holds.
    public static func training(_ plan: TrainingPlan) -> MemoryBudget {
        let model = plan.model, pictures = SamplePicture.count(for: model)
        // The picture generator shares the trainer's scratch space: at batches above the
        // picture's, it needs none of its own.
        let pictureGenerator = NetworkFootprint(layers: model.generatorLayers(), batch: pictures)
        let pictureFloats = pictureGenerator.inferenceFloats - pictureGenerator.workspace
            + Double(pictures * model.noiseDimension)
        let floats = model.trainerFloats(batch: plan.localBatch) + pictureFloats
        let batch = plan.options.globalBatch.map { "--global-batch \($0) (\(plan.localBatch) per rank)" }
            ?? "--batch \(plan.localBatch)"
        return MemoryBudget(what: "\(model.rawValue) at \(batch)", bytes: 4 * floats + Double(plan.dataset.residentBytes),
                            remedy: plan.options.globalBatch == nil ? "lower --batch" : "lower --global-batch")
    }

    /// "23.5 GB", "310 MB": powers of 1024, as GANTRY_MEMORY_LIMIT's suffixes count.
    static func size(_ bytes: Double) -> String {
        if bytes.isInfinite { return "unlimited" }
        let gigabytes = bytes / Double(1 << 30)
        return gigabytes >= 1 ? "\(fixed(gigabytes, 1)) GB" : "\(fixed(bytes / Double(1 << 20), 0)) MB"
    }
}
