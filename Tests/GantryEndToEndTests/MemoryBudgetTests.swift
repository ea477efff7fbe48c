import XCTest
import Foundation
import Glibc

/// No command takes memory without asking: `train` refuses a batch the node cannot hold
/// before it creates anything, `sample` streams to a folder in bounded memory whatever the
/// count, and `eval` tallies its samples a chunk at a time.
final class MemoryBudgetTests: XCTestCase {
    /// dcgan28 at --batch 60000 needs over 20 GB: under a 2 GiB limit, one line with both
    /// amounts and the flag, exit 64, and no run directory.
    func testTrainRefusesABatchBeyondTheLimitBeforeCreatingAnything() throws {
        let run = try temporaryDirectory("memory-batch") + "/run"
        let outcome = try GantryProcess.command(
            [GantryProcess.binary, "train", "--model", "dcgan28", "--data", "glyphs", "--batch", "60000", "--out", run],
            environment: ["GANTRY_MEMORY_LIMIT": "2G"])
        XCTAssertEqual(outcome.status, 64, outcome.output)
        XCTAssertEqual(outcome.errorLines.count, 1, outcome.output)
        let line = outcome.errorLines.first ?? ""
        let pattern = #"dcgan28 at --batch 60000 needs about ([0-9.]+) GB per rank; this node allows 2\.0 GB per rank \(GANTRY_MEMORY_LIMIT\); lower --batch$"#
        let match = try XCTUnwrap(line.range(of: pattern, options: .regularExpression), line)
        let needed = Double(line[match].split(separator: " ")[6]) ?? 0
        XCTAssertGreaterThan(needed, 20, line)  // about 105,000 floats of activations and buffers per sample
        XCTAssertFalse(FileManager.default.fileExists(atPath: run), "a refused run created \(run)")
    }

    /// 100,000 samples of dcgan28 written to a folder (DIR/: the output that streams, one
    /// sample at a time; a grid or a .npz holds them all, and is refused under the same
    /// limit) peak well under 300 MB resident.
    func testSampleStreamsAnyCountToAFolderInBoundedMemory() throws {
        let directory = try temporaryDirectory("memory-sample")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = directory + "/run"
        let trained = try GantryProcess.direct(["train", "--model", "dcgan28", "--data", "glyphs", "--batch", "8",
                                                "--steps", "2", "--out", run])
        XCTAssertEqual(trained.status, 0, trained.output)

        let folder = directory + "/samples/"
        let limit = ["GANTRY_MEMORY_LIMIT": "300M"]
        let sample = try runMeasuringPeak(["sample", "--checkpoint", run, "--count", "100000", "--out", folder], environment: limit)
        XCTAssertEqual(sample.status, 0, sample.stderr)
        XCTAssertLessThan(sample.peakBytes, 300e6, "sample --count 100000 peaked at \(sample.peakBytes / 1e6) MB")
        print("sample --count 100000 --out DIR/: peak resident \(sample.peakBytes / 1e6) MB")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).count, 100_000)

        for out in ["grid.png", "arrays.npz"] {
            let outcome = try GantryProcess.command([GantryProcess.binary, "sample", "--checkpoint", run, "--count", "100000",
                                                     "--out", directory + "/" + out], environment: limit)
            XCTAssertEqual(outcome.status, 64, outcome.output)
            XCTAssertTrue(outcome.errorLines.first?.contains("allows 300 MB per rank (GANTRY_MEMORY_LIMIT)") ?? false, outcome.output)
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/" + out))
        }
    }

    /// eval --count 100000000 runs in bounded memory (the samples alone would be 800 MB):
    /// admitted under a 100 MB limit, it is stopped after a few seconds of tallying, having
    /// stayed well under 300 MB.
    func testEvalOfAnyCountRunsInBoundedMemory() throws {
        let run = try temporaryDirectory("memory-eval") + "/run"
        let trained = try GantryProcess.direct(["train", "--model", "mlp", "--data", "ring8", "--steps", "2", "--out", run])
        XCTAssertEqual(trained.status, 0, trained.output)
        let eval = try runMeasuringPeak(["eval", "--checkpoint", run, "--count", "100000000"],
                                        environment: ["GANTRY_MEMORY_LIMIT": "100M"], stopAfterSeconds: 4)
        XCTAssertEqual(eval.status, 124, "eval ended before it was stopped: \(eval.stderr)")  // timeout's status
        XCTAssertFalse(eval.stderr.contains("gantry: error"), eval.stderr)
        XCTAssertLessThan(eval.peakBytes, 300e6, "eval --count 100000000 peaked at \(eval.peakBytes / 1e6) MB")
    }

    /// Runs `gantry ARGUMENTS` (under `timeout`: TERM after `stopAfterSeconds`, or a generous
    /// limit) and returns its exit status, its peak resident bytes and its stderr.
    ///
    /// The peak is gantry's own high-water mark (VmHWM of /proc/PID/status, which belongs to
    /// the memory map its exec created), read every 20 ms while it runs. Not wait4's
    /// ru_maxrss: posix_spawn runs the child in this process's memory until its exec, and the
    /// kernel then counts this test process's own peak (hundreds of MB after the in-process
    /// evaluation tests) as the child's.
    private func runMeasuringPeak(_ arguments: [String], environment: [String: String],
                                  stopAfterSeconds: Int = 600) throws -> (status: Int32, peakBytes: Double, stderr: String) {
        let errorFile = try temporaryDirectory("memory-stderr") + "/stderr"
        let command = ["/usr/bin/timeout", String(stopAfterSeconds), GantryProcess.binary] + arguments
        var variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        variables["OPENBLAS_NUM_THREADS"] = "1"
        let argv = command.map { strdup($0) } + [nil]
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errorFile, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, envp)
        guard spawned == 0 else { throw XCTSkip("cannot start \(command[0]): error \(spawned)") }
        var status: Int32 = 0, gantry: Int32?, peakKilobytes = 0
        while true {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid || (waited < 0 && errno != EINTR) { break }
            gantry = gantry ?? Self.child(of: pid)
            if let gantry, let hwm = Self.highWaterKilobytes(of: gantry) { peakKilobytes = max(peakKilobytes, hwm) }
            usleep(20_000)
        }
        let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let stderr = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
        XCTAssertGreaterThan(peakKilobytes, 1000, "gantry's resident memory was never read (it ran too briefly?)")
        return (exitStatus, Double(peakKilobytes) * 1024, stderr)
    }

    /// The process whose parent is `parent` (`timeout`'s one child), if it runs.
    private static func child(of parent: pid_t) -> pid_t? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in entries.compactMap({ Int32($0) }) {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // pid (comm) state ppid …; comm may hold spaces and parentheses, so after the last ")".
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, Int32(fields[1]) == parent { return pid }
        }
        return nil
    }

    /// VmHWM of /proc/PID/status, in kB, while the process runs.
    private static func highWaterKilobytes(of pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return Int(line.split(whereSeparator: \.isWhitespace)[1])
    }
}
