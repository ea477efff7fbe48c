import Glibc

/// metrics.jsonl, appended one complete line at a time. A write that fails (a full disk)
/// is rolled back to the end of the last complete line, so the file never holds half a line.
final class MetricsLog {
    let path: String
    private let fd: Int32

    /// Opens `path` for appending. When resuming, first keeps only the lines whose step is at
    /// most `keepingStepsThrough` (rewritten atomically).
    init(path: String, keepingStepsThrough lastStep: Int?) throws {
        self.path = path
        if let lastStep, fileExists(path) {
            let kept = try AtomicFile.read(path).split(separator: 10).filter { line in
                let record = try? JSONValue(parsing: line)
                return (record?["step"]?.integer).map { $0 <= lastStep } ?? false
            }
            try AtomicFile.write(kept.flatMap { Array($0) + [10] }, to: path)
        }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw systemError("cannot open \(path)") }
    }

    deinit { close(fd) }

    func append(_ line: [UInt8]) throws { try appendWhole(fd, line, path: path) }
}
