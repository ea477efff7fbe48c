/// GantryTrain's one error type: one sentence naming the input and the problem, printed as
/// `gantry: error: …` (Job.report). Its kind decides the exit code and how the ranks of a
/// job learn of it.
public struct GantryError: Error, CustomStringConvertible {
    public enum Kind {
        /// A flag, or a combination of flags, that cannot work: exit 64, with the usage hint.
        case usage
        /// Anything else that stops a command (a missing file, a full disk): exit 1.
        case failure
        /// A failure every rank detected identically at the same point (for instance
        /// non-finite gradients, checked after the allreduce): rank 0 reports it and every
        /// rank exits 1 in good order, without aborting the job.
        case agreed
    }

    public let description: String
    public let kind: Kind

    public init(_ description: String, kind: Kind = .failure) {
        self.description = description
        self.kind = kind
    }

    public static func usage(_ description: String) -> GantryError { GantryError(description, kind: .usage) }
    public static func agreed(_ description: String) -> GantryError { GantryError(description, kind: .agreed) }

    /// The process exit code: 64 (EX_USAGE, as argument-parser uses) for usage errors, else 1.
    public var exitCode: Int32 { kind == .usage ? 64 : 1 }

    /// The line printed after a usage error.
    public static let usageHint = "(see gantry --help, or gantry SUBCOMMAND --help)"
}
