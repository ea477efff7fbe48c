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

    /// "23.5 GB", "310 MB": powers of 1024, as GANTRY_MEMORY_LIMIT's suffixes count.
    static func size(_ bytes: Double) -> String {
        if bytes.isInfinite { return "unlimited" }
        let gigabytes = bytes / Double(1 << 30)
        return gigabytes >= 1 ? "\(fixed(gigabytes, 1)) GB" : "\(fixed(bytes / Double(1 << 20), 0)) MB"
    }
}
