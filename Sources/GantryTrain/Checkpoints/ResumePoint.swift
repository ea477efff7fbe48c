/// The checkpoint a run continues from, as rank 0 found it: its path and raw bytes (which
/// rank 0 broadcasts so that every rank validates and loads the same file).
public struct ResumePoint {
    public let path: String
    public let bytes: [UInt8]

    /// `--resume auto`: the newest valid checkpoint of `runDirectory` (corrupt newer ones are
    /// reported through `warn` and skipped), or nil when it has none yet, so that the same
    /// command starts a run and continues it (Slurm requeues). `--resume FILE`: that file.
    public static func find(_ resume: String, runDirectory: String?, warn: (String) -> Void) throws -> ResumePoint? {
        guard resume == "auto" else {
            let path = try CheckpointDirectory.resolve(resume)
            return ResumePoint(path: path, bytes: try Checkpoint.read(path))
        }
        guard let runDirectory else {
            throw GantryError("--resume auto needs --out RUN_DIR: the run directory whose checkpoints to continue from")
        }
        guard let newest = try CheckpointDirectory(runDirectory: runDirectory).newestValid(warn: warn) else {
            warn("--resume auto: no checkpoint in \(runDirectory)/checkpoints yet; starting from step 0")
            return nil
        }
        return ResumePoint(path: newest.path, bytes: newest.bytes)
    }

    /// The run directory holding `checkpointPath` (the parent of its checkpoints/ folder).
    public static func runDirectory(of checkpointPath: String) -> String {
        let folder = parentDirectory(of: checkpointPath)
        return folder.hasSuffix("/checkpoints") ? parentDirectory(of: folder) : folder
    }
}
