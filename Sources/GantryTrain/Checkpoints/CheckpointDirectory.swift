import Glibc
import GantryData

/// The `checkpoints/` folder of a run directory: naming, finding the newest valid
/// checkpoint for `--resume auto`, and retention (`--keep`, `--keep-every`).
public struct CheckpointDirectory {
    public let path: String

    public init(runDirectory: String) { path = "\(runDirectory)/checkpoints" }

    public static func fileName(step: Int) -> String { "step-\(padded(step)).gckpt" }

    public func file(step: Int) -> String { "\(path)/\(Self.fileName(step: step))" }

    /// The checkpoints present, oldest first.
    public var checkpoints: [(step: Int, path: String)] {
        directoryEntries(path).compactMap { name in
            guard name.hasPrefix("step-"), name.hasSuffix(".gckpt"),
                  let step = Int(name.dropFirst(5).dropLast(6)) else { return nil }
            return (step, "\(path)/\(name)")
        }.sorted { $0.step < $1.step }
    }

    /// The newest checkpoint that decodes and passes every CRC, with its bytes. Newer corrupt
    /// ones are reported through `warn` and skipped; nil when there is no checkpoint at all.
    public func newestValid(warn: (String) -> Void) throws -> (path: String, bytes: [UInt8])? {
        let candidates = checkpoints
        guard !candidates.isEmpty else { return nil }
        for candidate in candidates.reversed() {
            do {
                let bytes = try Checkpoint.read(candidate.path)
                _ = try Checkpoint.decode(bytes, source: candidate.path)
                return (candidate.path, bytes)
            } catch {
                warn("skipping \(error)")
            }
        }
        throw GantryError("no valid checkpoint in \(path): all \(candidates.count) failed to load (see the warnings above)")
    }

    /// Deletes checkpoints beyond the newest `keep`, except those whose step is a multiple of
    /// `keepEvery`. `keep` 0 keeps everything.
    public func prune(keep: Int, keepEvery: Int?) {
        guard keep > 0 else { return }
        let all = checkpoints
        for old in all.dropLast(keep) {
            if let keepEvery, old.step % keepEvery == 0 { continue }
            unlink(old.path)
        }
    }

    /// The checkpoint file named by `fileOrRunDirectory`: the file itself, or the newest
    /// checkpoint of a run directory (or of a checkpoints folder).
    public static func resolve(_ fileOrRunDirectory: String) throws -> String {
        guard fileExists(fileOrRunDirectory) else {
            throw GantryError("no checkpoint at \(fileOrRunDirectory): no such file or directory")
        }
        guard isDirectory(fileOrRunDirectory) else { return fileOrRunDirectory }
        let directory = isDirectory("\(fileOrRunDirectory)/checkpoints")
            ? CheckpointDirectory(runDirectory: fileOrRunDirectory)
            : CheckpointDirectory(path: fileOrRunDirectory)
        guard let newest = directory.checkpoints.last else {
            throw GantryError("no checkpoint (step-*.gckpt) in \(directory.path)")
        }
        return newest.path
    }

    private init(path: String) { self.path = path }
}
