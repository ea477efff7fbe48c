import Glibc

/// The random id that ties a run directory to its run. Every new run directory gets one,
/// stored in its config.json and in the header of every checkpoint the run writes, so that
/// a checkpoint is only ever continued in a new directory or in the one whose run wrote it:
/// resuming another run's checkpoint into a directory would mix two runs' metrics, samples
/// and checkpoints into one history (docs/reliability.md, "Run identity").
public enum RunIdentity {
    /// A new id: 16 hex digits from the system's random source.
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = String(generator.next() as UInt64, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Throws, before anything is written, unless the run of the checkpoint at
    /// `checkpointPath` (whose header holds `runId`) may continue in `directory`: a new
    /// (absent or empty) directory, one whose config.json holds the same id, or, for a
    /// checkpoint from before run ids (format versions 1 and 2), the directory it lies in.
    public static func checkResume(checkpointPath: String, runId: String?, into directory: String) throws {
        guard !directoryEntries(directory).isEmpty else { return }
        let held = self.runId(ofDirectory: directory)
        if let runId, held == runId { return }
        let home = ResumePoint.runDirectory(of: checkpointPath)
        if runId == nil && sameFile(home, directory) { return }
        let theirs = runId.map { "run \(printable($0))" } ?? "a run without an id"
        let ours = held.map { "run \(printable($0))" } ?? "another run"
        throw GantryError("--resume \(checkpointPath): the checkpoint is from \(theirs) in \(home), but --out \(directory) holds \(ours); continue it in \(home) or in a new --out directory")
    }

    /// The run id in `directory`'s config.json; nil when it has none or cannot be read.
    static func runId(ofDirectory directory: String) -> String? {
        struct Identity: Decodable { var runId: String? }
        let bytes = try? AtomicFile.read("\(directory)/config.json")
        return bytes.flatMap { try? JSONCoding.decode(Identity.self, from: $0) }?.runId
    }

    private static func sameFile(_ a: String, _ b: String) -> Bool {
        var first = stat(), second = stat()
        return stat(a, &first) == 0 && stat(b, &second) == 0 && first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }
}
