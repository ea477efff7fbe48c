import Foundation
import XCTest

/// Runs the real `gantry` binary, alone or under `mpirun`, as a user would.
///
/// Every launch goes through `timeout`, so a hung collective fails the test with the
/// ranks' output instead of stalling the suite.
struct GantryProcess {
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
        let seconds: Double
        var output: String { "--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
        /// Lines that Gantry printed as errors.
        var errorLines: [String] { stderr.split(separator: "\n").map(String.init).filter { $0.contains("gantry: error:") } }
    }

    /// The binary under test: $GANTRY_BIN, or `gantry` beside the test bundle.
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["GANTRY_BIN"] { return path }
        let bundle = Bundle(for: BundleMarker.self).bundleURL.deletingLastPathComponent()
        return bundle.appendingPathComponent("gantry").path
    }()

    /// `timeout -k 5 LIMIT mpirun -np RANKS gantry ARGS…`
    static func mpirun(ranks: Int, _ arguments: [String], limit: Int = 300, extraMPI: [String] = []) throws -> Outcome {
        var mpi = ["mpirun", "-np", String(ranks)]
        if ranks > ProcessInfo.processInfo.activeProcessorCount { mpi += ["--oversubscribe", "--bind-to", "none"] }
        return try run(["timeout", "-k", "5", String(limit)] + mpi + extraMPI + [binary] + arguments)
    }

    /// `timeout -k 5 LIMIT gantry ARGS…` without MPI.
    static func direct(_ arguments: [String], limit: Int = 120) throws -> Outcome {
        try run(["timeout", "-k", "5", String(limit), binary] + arguments)
    }

    /// A job started in the background (`launch`), to be signalled and then awaited.
    final class Running {
        let process: Process
        let directory: String
        let started = Date()
        init(process: Process, directory: String) {
            self.process = process
            self.directory = directory
        }

        func wait() -> Outcome {
            process.waitUntilExit()
            let outcome = Outcome(status: process.terminationStatus,
                                  stdout: (try? String(contentsOfFile: directory + "/stdout", encoding: .utf8)) ?? "",
                                  stderr: (try? String(contentsOfFile: directory + "/stderr", encoding: .utf8)) ?? "",
                                  seconds: Date().timeIntervalSince(started))
            try? FileManager.default.removeItem(atPath: directory)
            return outcome
        }
    }

    /// Starts `mpirun` like `mpirun(...)` but returns at once.
    static func launch(ranks: Int, _ arguments: [String], limit: Int = 300) throws -> Running {
        let mpi = ["mpirun", "-np", String(ranks)]
        return try start(["timeout", "-k", "5", String(limit)] + mpi + [binary] + arguments)
    }

    /// The process ids of the `gantry` ranks whose command line contains `marker` (for
    /// instance the run directory), not counting mpirun.
    static func rankProcesses(containing marker: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let words = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return (words.first?.hasSuffix("/gantry") ?? false) && words.contains { $0.contains(marker) }
        }.sorted()
    }

    /// `timeout -k 5 LIMIT COMMAND…`: any program (a launch script, a Slurm command), with
    /// extra environment variables.
    static func command(_ command: [String], limit: Int = 300, environment: [String: String] = [:]) throws -> Outcome {
        try run(commandLine(command, limit: limit, environment: environment))
    }

    /// Starts `command(...)` but returns at once; the process is `timeout`, whose child runs
    /// COMMAND.
    static func launch(command: [String], limit: Int = 300, environment: [String: String] = [:]) throws -> Running {
        try start(commandLine(command, limit: limit, environment: environment))
    }

    private static func commandLine(_ command: [String], limit: Int, environment: [String: String]) -> [String] {
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return ["timeout", "-k", "5", String(limit), "env"] + assignments + command
    }

    private static func run(_ command: [String]) throws -> Outcome {
        let outcome = try start(command).wait()
        if outcome.status == 124 || outcome.status == 137 {
            XCTFail("timed out: \(command.joined(separator: " "))\n\(outcome.output)")
        }
        return outcome
    }

    static func start(_ command: [String]) throws -> Running {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        var environment = launchEnvironment
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        environment["OPENBLAS_NUM_THREADS"] = "1"
        process.environment = environment
        // Output goes to files, not pipes: a chatty rank can never block on a full pipe.
        let directory = try temporaryDirectory("process")
        let outPath = directory + "/stdout", errPath = directory + "/stderr"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        try process.run()
        return Running(process: process, directory: directory)
    }
}

private final class BundleMarker {}

/// This process's environment without what MPI's singleton initialisation adds to it. Tests
/// that build a Trainer in-process (NoAllocationTests, BenchStep...) initialise MPI here,
/// which exports PMIX_* and a few OMPI_MCA_* variables; an mpirun started with them believes
/// it is itself an MPI process and exits 1 at once, without a word.
private var launchEnvironment: [String: String] {
    let singleton: Set<String> = ["OMPI_MCA_ess", "OMPI_MCA_orte_ess_num_procs", "OMPI_MCA_orte_launch",
                                  "OMPI_MCA_orte_precondition_transports", "OMPI_MCA_pmix", "OMPI_APP_CTX_NUM_PROCS",
                                  "OMPI_COMMAND"]
    return ProcessInfo.processInfo.environment.filter { key, _ in !key.hasPrefix("PMIX_") && !singleton.contains(key) }
}

/// A fresh directory under /tmp for one test.
func temporaryDirectory(_ label: String) throws -> String {
    let path = NSTemporaryDirectory() + "gantry-\(label)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Waits until `condition` holds, checking every 0.2 s for at most `seconds`.
func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(200_000)
    }
    return condition()
}

/// The metrics.jsonl records of a run directory.
func metrics(in run: String) throws -> [[String: Any]] {
    let text = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)
    return try text.split(separator: "\n").map {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
}
