import XCTest
import Foundation
import Glibc
@testable import GantryTrain

/// The launch scripts as users run them: Ctrl-C or SIGTERM to launch/local.sh saves the work
/// and the run continues bit-identically; plain mpirun with a kill timeout saves it too;
/// local.sh's and cluster.sh's arguments become the right mpirun command.
final class LauncherTests: XCTestCase {
    static let repository = ClusterTests.repository
    static let localScript = repository + "/launch/local.sh"
    /// The scripts run the binary under test and never install or build.
    static let environment = ["GANTRY_BIN": GantryProcess.binary, "GANTRY_NO_SETUP": "1"]
    /// dcgan28 steps long enough that a stop lands mid-run, and no checkpoint but the final one.
    static let dcgan = ["--model", "dcgan28", "--data", "glyphs", "--batch", "8", "--log-every", "1",
                        "--sample-every", "5000", "--checkpoint-every", "5000"]
    var root = ""

    override func setUpWithError() throws { root = try temporaryDirectory("launcher") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func testSIGTERMToLocalShSavesAndTheRunContinuesBitIdentically() throws {
        try assertStopThroughLocalSh(signal: SIGTERM)
    }

    func testSIGINTToLocalShSavesAndTheRunContinuesBitIdentically() throws {
        try assertStopThroughLocalSh(signal: SIGINT)
    }

    /// Stops a `local.sh` run (-n after the other flags) with `signal`, continues it with the
    /// command the stop message prints, two steps further, and compares with a straight run.
    func assertStopThroughLocalSh(signal: Int32, file: StaticString = #filePath, line: UInt = #line) throws {
        let run = root + "/run"
        let job = try GantryProcess.launch(command: [Self.localScript] + Self.dcgan + ["--steps", "5000", "--out", run, "-n", "2"],
                                           limit: 180, environment: Self.environment)
        XCTAssertTrue(waitForSteps(3, in: run), "training did not start", file: file, line: line)
        // The script itself, not `timeout` above it.
        kill(try XCTUnwrap(childProcess(of: job.process.processIdentifier), file: file, line: line), signal)
        let stopped = job.wait()
        XCTAssertEqual(stopped.status, 0, stopped.output, file: file, line: line)
        let steps = CheckpointDirectory(runDirectory: run).checkpoints.map(\.step)
        XCTAssertEqual(steps.count, 1, "no final checkpoint: \(steps)\n\(stopped.output)", file: file, line: line)
        let step = try XCTUnwrap(steps.first, file: file, line: line)
        let resume = "continue with: \(Self.localScript) -n 2 --out \(run) --resume auto"
        XCTAssertTrue(stopped.stdout.contains("stopped on SIGTERM/SIGINT at step \(step)") && stopped.stdout.contains(resume),
                      stopped.output, file: file, line: line)

        let total = String(step + 2)
        let resumed = try GantryProcess.command([Self.localScript, "-n", "2", "--out", run, "--resume", "auto", "--steps", total],
                                                limit: 180, environment: Self.environment)
        XCTAssertEqual(resumed.status, 0, resumed.output, file: file, line: line)
        XCTAssertTrue(resumed.stdout.contains("resuming at step \(step)"), resumed.output, file: file, line: line)
        let straight = root + "/straight"
        let uninterrupted = try GantryProcess.mpirun(ranks: 2, ["train"] + Self.dcgan + ["--steps", total, "--out", straight])
        XCTAssertEqual(uninterrupted.status, 0, uninterrupted.output, file: file, line: line)

        let final = CheckpointDirectory.fileName(step: step + 2)
        let a = try CheckpointFile.parse(try AtomicFile.read("\(straight)/checkpoints/\(final)"), source: "straight")
        let b = try CheckpointFile.parse(try AtomicFile.read("\(run)/checkpoints/\(final)"), source: "stopped and resumed")
        XCTAssertEqual(a.sections.map(\.name), b.sections.map(\.name), file: file, line: line)
        // The header and metrics hold each command's flags and timings; the state is the rest.
        for section in a.sections where !["header", "metrics"].contains(section.name) {
            XCTAssertEqual(section.payload, b.section(section.name)?.payload, "section \(section.name) differs", file: file, line: line)
        }
    }

    /// cluster.sh over two "nodes" (one mpirun daemon each): SIGTERM to the script reaches
    /// every rank through mpirun as SIGUSR1, and the run ends with a checkpoint and exit 0.
    func testSIGTERMToClusterShSavesOnEveryNode() throws {
        let run = root + "/run", hostfile = root + "/hosts"
        try "127.0.0.2 slots=1\n127.0.0.3 slots=1\n".write(toFile: hostfile, atomically: true, encoding: .utf8)
        let script = Self.repository + "/launch/cluster.sh"
        let job = try GantryProcess.launch(command: [script, "--hostfile", hostfile, "--agent", Self.repository + "/cluster/loopback-agent.sh",
                                                     "--iface", "lo", "--btl", "tcp,self", "--bind-to", "none", "--"]
                                               + Self.dcgan + ["--steps", "5000", "--out", run],
                                           limit: 180, environment: Self.environment)
        XCTAssertTrue(waitForSteps(3, in: run), "training did not start")
        kill(try XCTUnwrap(childProcess(of: job.process.processIdentifier)), SIGTERM)
        let outcome = job.wait()
        XCTAssertEqual(outcome.status, 0, outcome.output)
        XCTAssertEqual(CheckpointDirectory(runDirectory: run).checkpoints.count, 1, "no final checkpoint\n\(outcome.output)")
        XCTAssertTrue(outcome.stdout.contains("continue with: \(script) --hostfile \(hostfile) --iface lo --agent "), outcome.output)
    }

    /// OpenMPI 4.1's mpirun, on SIGTERM, waits odls_base_sigkill_timeout seconds, passes
    /// SIGTERM to the ranks, waits as long again and SIGKILLs them: with a timeout longer
    /// than a step plus a checkpoint the ranks save, and mpirun still exits 1
    /// (docs/reliability.md). 5 s here instead of the 60 the docs advise, to keep the test short.
    /// Logging every 10 steps, not every step: mpirun does not read the ranks' output while it
    /// waits, and a rank printing every step filled that buffer, blocked, and missed the
    /// deadline in about 1 run of 8 (always with a 10 s timeout; docs/reliability.md).
    func testSIGTERMToPlainMPIRunWithAKillTimeoutSaves() throws {
        let run = root + "/run"
        let job = try GantryProcess.start(["timeout", "-k", "5", "120", "mpirun", "-np", "2", "--mca", "odls_base_sigkill_timeout", "5",
                                           GantryProcess.binary, "train"] + Self.dcgan + ["--log-every", "10", "--steps", "5000", "--out", run])
        XCTAssertTrue(waitForSteps(3, in: run), "training did not start")
        kill(try XCTUnwrap(childProcess(of: job.process.processIdentifier)), SIGTERM)
        let outcome = job.wait()
        XCTAssertEqual(outcome.status, 1, outcome.output)
        let step = try XCTUnwrap(CheckpointDirectory(runDirectory: run).checkpoints.last?.step, "no final checkpoint\n\(outcome.output)")
        XCTAssertEqual(try Checkpoint.load(CheckpointDirectory(runDirectory: run).file(step: step)).header.step, step)
        XCTAssertTrue(outcome.stdout.contains("continue with: mpirun -np 2 \(GantryProcess.binary) train --out \(run) --resume auto"),
                      outcome.output)
        XCTAssertFalse(outcome.stderr.contains("kill timeout"), outcome.output)
    }

    /// A kill timeout shorter than a step plus a checkpoint gets one warning from rank 0.
    func testShortKillTimeoutIsWarnedOnce() throws {
        let outcome = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "mlp", "--data", "ring8", "--steps", "10",
                                                          "--out", root + "/run"],
                                               extraMPI: ["--mca", "odls_base_sigkill_timeout", "0"])
        XCTAssertEqual(outcome.status, 0, outcome.output)
        let warnings = outcome.stderr.components(separatedBy: "gantry: warning: mpirun's kill timeout (odls_base_sigkill_timeout) is 0.0 s")
        XCTAssertEqual(warnings.count - 1, 1, outcome.output)
    }

    /// launch/quality-2d.sh measures seed after seed, and a measurement spread over several
    /// sittings continues where it stopped: seeds with a result are kept, an interrupted seed's
    /// run is moved aside (not deleted) and trained again, and another configuration in the
    /// same folder is refused.
    func testQuality2DScriptContinuesAMeasurement() throws {
        let root = try temporaryDirectory("quality-2d"), out = root + "/grid25"
        let script = Self.repository + "/launch/quality-2d.sh"
        func measure(seeds: Int, flags: [String] = ["--global-batch", "32"]) throws -> GantryProcess.Outcome {
            try GantryProcess.command([script, "--data", "grid25", "--steps", "30", "--seeds", String(seeds), "--ranks", "1",
                                       "--out", out, "--"] + flags, limit: 120, environment: Self.environment)
        }
        func results() throws -> [String] {
            try String(contentsOfFile: out + "/results.tsv", encoding: .utf8).split(separator: "\n").map(String.init)
        }
        let first = try measure(seeds: 2)
        XCTAssertEqual(first.status, 0, first.output)
        XCTAssertEqual(try results().map { $0.prefix(2) }, ["1\t", "2\t"], first.output)
        XCTAssertTrue(first.stdout.contains("| grid25 | --global-batch 32 | 2 | "), first.output)

        try FileManager.default.createDirectory(atPath: out + "/seed-3", withIntermediateDirectories: false)
        let more = try measure(seeds: 3)
        XCTAssertEqual(more.status, 0, more.output)
        XCTAssertTrue(more.stdout.contains("seed 1: measured before"), more.output)
        XCTAssertTrue(more.stdout.contains("seed 3: \(out)/seed-3 has no result (an interrupted run): moved to"), more.output)
        XCTAssertEqual(try results().count, 3, more.output)
        XCTAssertTrue(more.stdout.contains("| grid25 | --global-batch 32 | 3 | "), more.output)
        let entries = try FileManager.default.contentsOfDirectory(atPath: out)
        XCTAssertEqual(entries.filter { $0.hasPrefix("seed-3.interrupted-") && !$0.hasSuffix(".log") }.count, 1, "\(entries)")

        let other = try measure(seeds: 3, flags: ["--global-batch", "64"])
        XCTAssertEqual(other.status, 2, other.output)
        XCTAssertTrue(other.stderr.contains("holds the measurement '--data grid25 --steps 30 --ranks 1 -- --global-batch 32'"), other.output)
        XCTAssertEqual(try results().count, 3, other.output)
        try? FileManager.default.removeItem(atPath: root)
    }

    /// local.sh: one rank per physical core by default, -n anywhere, a clear error otherwise.
    func testLocalShRanks() throws {
        let echo = Self.environment.merging(["MPIRUN": "echo"]) { $1 }
        let defaults = try GantryProcess.command([Self.localScript, "--steps", "1"], limit: 30, environment: echo)
        XCTAssertEqual(defaults.status, 0, defaults.output)
        XCTAssertTrue(defaults.stdout.hasPrefix("-np \(physicalCores()) "), defaults.output)
        let late = try GantryProcess.command([Self.localScript, "--steps", "1", "-n", "3", "--seed", "2"], limit: 30, environment: echo)
        XCTAssertTrue(late.stdout.contains("-np 3 ") && late.stdout.hasSuffix("train --steps 1 --seed 2\n"), late.output)
        let bad = try GantryProcess.command([Self.localScript, "--steps", "1", "-n", "two"], limit: 30, environment: echo)
        XCTAssertEqual(bad.status, 2, bad.output)
        XCTAssertEqual(bad.stderr, "launch/local.sh: -n takes a positive number, not 'two'\n", bad.output)
    }

    /// With --threads T a rank gets T cores (mpirun --map-by slot:PE=T), local.sh starts one
    /// rank per T physical cores by default, and a bad --threads is named.
    func testLaunchersGiveEachRankItsThreadsCores() throws {
        let echo = Self.environment.merging(["MPIRUN": "echo"]) { $1 }
        let one = try GantryProcess.command([Self.localScript, "-n", "1", "--threads", "2", "--steps", "1"], limit: 30, environment: echo)
        XCTAssertEqual(one.status, 0, one.output)
        let expected = physicalCores() >= 2 ? "--map-by slot:PE=2 --bind-to core " : "--oversubscribe --bind-to none "
        XCTAssertTrue(one.stdout.hasPrefix("-np 1 " + expected), one.output)
        XCTAssertTrue(one.stdout.hasSuffix("train --threads 2 --steps 1\n"), one.output)
        let defaults = try GantryProcess.command([Self.localScript, "--threads=2"], limit: 30, environment: echo)
        XCTAssertTrue(defaults.stdout.hasPrefix("-np \(max(1, physicalCores() / 2)) "), defaults.output)
        let single = try GantryProcess.command([Self.localScript, "-n", "1", "--threads", "1"], limit: 30, environment: echo)
        XCTAssertFalse(single.stdout.contains("PE="), single.output)
        let bad = try GantryProcess.command([Self.localScript, "--threads", "two"], limit: 30, environment: echo)
        XCTAssertEqual(bad.status, 2, bad.output)
        XCTAssertEqual(bad.stderr, "launch/local.sh: --threads takes a positive number, not 'two'\n", bad.output)

        let cluster = try GantryProcess.command([Self.repository + "/launch/cluster.sh", "-H", "127.0.0.2:1", "--dry-run", "--",
                                                 "--threads", "4"], limit: 30, environment: Self.environment)
        XCTAssertEqual(cluster.status, 0, cluster.output)
        XCTAssertTrue(cluster.stdout.hasPrefix("mpirun -H 127.0.0.2:1 --map-by slot:PE=4 --bind-to core "), cluster.output)
    }

    /// cluster.sh -H takes hosts as mpirun does; a hostfile goes with --hostfile, and the old
    /// `-H FILE` gets a clear error.
    func testClusterShHostsAndHostfile() throws {
        let script = Self.repository + "/launch/cluster.sh"
        let hosts = try GantryProcess.command([script, "-H", "127.0.0.2:1,127.0.0.3:2", "--dry-run", "--", "--steps", "5"],
                                              limit: 30, environment: Self.environment)
        XCTAssertEqual(hosts.status, 0, hosts.output)
        XCTAssertTrue(hosts.stdout.hasPrefix("mpirun -H 127.0.0.2:1,127.0.0.3:2 --map-by slot "), hosts.output)
        XCTAssertTrue(hosts.stdout.contains(" -x GANTRY_LAUNCHER ") && hosts.stdout.hasSuffix("\(GantryProcess.binary) train --steps 5 \n"),
                      hosts.output)

        let hostfile = root + "/hosts"
        try "127.0.0.2 slots=1\n".write(toFile: hostfile, atomically: true, encoding: .utf8)
        let file = try GantryProcess.command([script, "--hostfile", hostfile, "-n", "1", "--dry-run"], limit: 30, environment: Self.environment)
        XCTAssertTrue(file.stdout.hasPrefix("mpirun --hostfile \(hostfile) -np 1 --map-by slot "), file.output)

        let old = try GantryProcess.command([script, "-H", hostfile, "--dry-run"], limit: 30, environment: Self.environment)
        XCTAssertEqual(old.status, 2, old.output)
        XCTAssertTrue(old.stderr.contains("pass a hostfile with --hostfile \(hostfile)"), old.output)
        let garbled = try GantryProcess.command([script, "-H", "node01 node02", "--dry-run"], limit: 30, environment: Self.environment)
        XCTAssertEqual(garbled.status, 2, garbled.output)
    }

    // MARK: Helpers

    func waitForSteps(_ count: Int, in run: String) -> Bool {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if ((try? metrics(in: run).count) ?? 0) >= count { return true }
            usleep(200_000)
        }
        return false
    }

    /// The process whose parent is `parent` (the command that `timeout` runs).
    func childProcess(of parent: Int32) -> Int32? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.first { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.range(of: ")", options: .backwards) else { return false }
            // After "pid (comm)": state, then the parent's pid.
            let fields = stat[close.upperBound...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == parent
        }
    }

    /// Physical cores from sysfs: distinct (package, core) pairs over the CPUs.
    func physicalCores() -> Int {
        let cpus = ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/devices/system/cpu")) ?? [])
            .filter { $0.range(of: #"^cpu[0-9]+$"#, options: .regularExpression) != nil }
        let cores = Set(cpus.compactMap { cpu -> String? in
            let topology = "/sys/devices/system/cpu/\(cpu)/topology/"
            guard let core = try? String(contentsOfFile: topology + "core_id", encoding: .utf8),
                  let package = try? String(contentsOfFile: topology + "physical_package_id", encoding: .utf8) else { return nil }
            return package.trimmingCharacters(in: .whitespacesAndNewlines) + "/" + core.trimmingCharacters(in: .whitespacesAndNewlines)
        })
        return min(cores.count, ProcessInfo.processInfo.activeProcessorCount)
    }
}
