import XCTest
import Foundation
@testable import GantryTrain

/// The cluster path, for real on this machine: several "nodes" over TCP with a hostfile
/// (launch/cluster.sh), and a real Slurm (cluster/slurm/local-slurm.sh) running the batch
/// scripts of cluster/slurm. Every external command runs under `timeout`; a Slurm started
/// by a test is stopped by that test's teardown, also when the test fails.
final class ClusterTests: XCTestCase {
    /// The checkout holding this file: Tests/GantryTrainTests/ClusterTests.swift.
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    // MARK: Several nodes over TCP (launch/cluster.sh)

    /// Two "nodes" (127.0.0.2 and 127.0.0.3, one slot each, one mpirun daemon each, ranks
    /// talking over TCP only) end with the same parameters as two ranks on one node.
    func testTwoNodesOverTCPMatchTwoRanksOnOneNode() throws {
        let root = try temporaryDirectory("cluster")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let hostfile = root + "/hostfile"
        try "127.0.0.2 slots=1\n127.0.0.3 slots=1\n".write(toFile: hostfile, atomically: true, encoding: .utf8)
        let flags = ["--model", "mlp", "--data", "ring8", "--global-batch", "64", "--steps", "20",
                     "--log-every", "10", "--seed", "7"]

        let single = try GantryProcess.mpirun(ranks: 2, ["train"] + flags + ["--out", root + "/single"])
        XCTAssertEqual(single.status, 0, single.output)

        let cluster = try GantryProcess.command(
            [Self.repository + "/launch/cluster.sh", "--hostfile", hostfile,
             "--agent", Self.repository + "/cluster/loopback-agent.sh",
             "--iface", "lo", "--btl", "tcp,self", "--bind-to", "none", "--show-map", "--"]
                + flags + ["--out", root + "/cluster"],
            limit: 300, environment: ["GANTRY_BIN": GantryProcess.binary])
        XCTAssertEqual(cluster.status, 0, cluster.output)
        guard single.status == 0, cluster.status == 0 else { return }

        // --show-map: one rank on each "node".
        let map = cluster.output
        XCTAssertTrue(map.contains("Data for node: 127.0.0.2"), map)
        XCTAssertTrue(map.contains("Data for node: 127.0.0.3"), map)
        XCTAssertNotNil(map.range(of: #"Data for node: 127\.0\.0\.2[^\n]*\n[^\n]*Process rank: 0"#, options: .regularExpression), map)
        XCTAssertNotNil(map.range(of: #"Data for node: 127\.0\.0\.3[^\n]*\n[^\n]*Process rank: 1"#, options: .regularExpression), map)

        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/cluster/config.json"))) as? [String: Any]
        XCTAssertEqual(config?["world_size"] as? Int, 2)

        let one = try Checkpoint.load(root + "/single/checkpoints/step-000020.gckpt")
        let two = try Checkpoint.load(root + "/cluster/checkpoints/step-000020.gckpt")
        XCTAssertEqual(one.header.worldSize, 2)
        XCTAssertEqual(two.header.worldSize, 2)
        XCTAssertEqual(two.header.step, 20)
        for (name, a, b) in [("G", one.generator, two.generator), ("D", one.discriminator, two.discriminator)] {
            XCTAssertEqual(a.adamStep, 20)
            XCTAssertEqual(b.adamStep, 20)
            let difference = relativeDifference(a.parameters, b.parameters)
            let exact = a.parameters == b.parameters && a.state == b.state
                && a.adamFirstMoment == b.adamFirstMoment && a.adamSecondMoment == b.adamSecondMoment
            print("ClusterTests: \(name) after 20 steps, 2 nodes over TCP vs 2 ranks on one node: "
                  + (exact ? "bit-identical (parameters, state, Adam moments)" : "relative difference \(difference)"))
            XCTAssertLessThanOrEqual(difference, 1e-6, "\(name) parameters differ by \(difference) (relative)")
        }
        print("ClusterTests: single node \(String(format: "%.1f", single.seconds)) s, two nodes \(String(format: "%.1f", cluster.seconds)) s")
    }

    // MARK: A real Slurm (cluster/slurm)

    /// cluster/slurm/train.sbatch on a real one-node Slurm: 2 ranks under `srun --mpi=pmix`,
    /// a run directory per job id; then bench-scaling.sbatch at 1 and 2 ranks.
    func testSlurmRunsTrainAndScalingBatchScripts() throws {
        let slurm = try LocalSlurm.start(self)
        let root = slurm.root

        // train.sbatch asks for 2 nodes; this machine is one node with 2 cores.
        let id = try slurm.submit(["-N", "1", "--ntasks-per-node=2", "--time=10",
                                   Self.repository + "/cluster/slurm/train.sbatch",
                                   "--model", "mlp", "--data", "ring8", "--steps", "300",
                                   "--log-every", "100", "--sample-every", "100", "--checkpoint-every", "100"])
        let job = try slurm.wait(for: id, limit: 300)
        let log = slurm.output(of: id)
        XCTAssertEqual(job["JobState"], "COMPLETED", log)
        XCTAssertEqual(job["ExitCode"], "0:0", log)

        let run = "\(root)/runs/\(id)"
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as? [String: Any], log)
        XCTAssertEqual(config["world_size"] as? Int, 2, log)
        XCTAssertEqual((try metrics(in: run)).compactMap { $0["step"] as? Int }, [100, 200, 300], log)
        let checkpoint = try Checkpoint.load(run + "/checkpoints/step-000300.gckpt")
        XCTAssertEqual(checkpoint.header.worldSize, 2)
        XCTAssertEqual(checkpoint.header.step, 300)
        let samples = (try? FileManager.default.contentsOfDirectory(atPath: run + "/samples")) ?? []
        XCTAssertTrue(samples.contains("step-000300.png"), "samples: \(samples)\n\(log)")
        XCTAssertTrue(log.contains("2 ranks on 1 node(s)"), log)

        // The scaling skeleton: mlp for 40 steps at 1 and 2 ranks in one allocation.
        let bench = try slurm.submit(["-N", "1", "--ntasks-per-node=2", "--time=10",
                                      Self.repository + "/cluster/slurm/bench-scaling.sbatch"],
                                     environment: ["GANTRY_MODEL": "mlp", "GANTRY_DATA": "ring8",
                                                   "GANTRY_STEPS": "40", "GANTRY_BATCH": "32"])
        let benchJob = try slurm.wait(for: bench, limit: 300)
        let benchLog = slurm.output(of: bench)
        XCTAssertEqual(benchJob["JobState"], "COMPLETED", benchLog)
        let table = try String(contentsOfFile: "\(root)/runs/bench-\(bench)/scaling.tsv", encoding: .utf8)
        let rows = table.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        XCTAssertEqual(rows.first?.first, "ranks", table)
        XCTAssertEqual(rows.dropFirst().map { $0.first }, ["1", "2"], table)
        for row in rows.dropFirst() {
            XCTAssertEqual(row.last, "0", table)
            XCTAssertGreaterThan(Double(row[3]) ?? 0, 0, "images_per_s\n\(table)")
        }
        print("ClusterTests: scaling.tsv\n\(table)")
    }

    /// Preemption: TERM to the batch script (what `#SBATCH --signal=B:TERM@120` sends before
    /// the time limit) reaches every rank, which checkpoint and stop; the script requeues the
    /// job, and the requeued job resumes (`--resume auto`) in the same run directory and
    /// finishes the run.
    func testSlurmRequeuesOnTermAndTheJobResumes() throws {
        let help = try GantryProcess.direct(["train", "--help"])
        guard help.stdout.contains("--resume") else {
            throw XCTSkip("this gantry has no `train --resume` yet: train.sbatch does not requeue without it")
        }
        let slurm = try LocalSlurm.start(self)
        // dcgan28 with a small batch: about 10 s on 2 idle cores, long enough that the
        // signal always lands mid-run, and compute-bound, so that a busy machine slows it
        // down only in proportion (2-D runs at hundreds of steps per second slow down by
        // far more when the two ranks spin in allreduce while sharing their cores).
        let steps = 240
        let id = try slurm.submit(["-N", "1", "--ntasks-per-node=2", "--time=10",
                                   Self.repository + "/cluster/slurm/train.sbatch",
                                   "--model", "dcgan28", "--data", "glyphs", "--batch", "8", "--steps", String(steps),
                                   "--log-every", "20", "--sample-every", "120", "--checkpoint-every", "120"])
        let run = "\(slurm.root)/runs/\(id)"

        // Once training is under way, signal the batch script only, as --signal=B:TERM does.
        let deadline = Date().addingTimeInterval(120)
        while (try? metrics(in: run).count) ?? 0 < 1 {
            guard Date() < deadline else { return XCTFail("no metrics after 120 s\n\(slurm.output(of: id))") }
            if let state = try slurm.job(id)["JobState"], state != "RUNNING", state != "PENDING", state != "CONFIGURING" {
                return XCTFail("job ended (\(state)) before it was signalled\n\(slurm.output(of: id))")
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let signalled = try slurm.command(["scancel", "--batch", "--signal=TERM", id])
        XCTAssertEqual(signalled.status, 0, signalled.output)

        // Slurm holds a requeued job back for a while (BeginTime); let it start at once.
        let requeued = Date().addingTimeInterval(120)
        while true {
            let job = try slurm.job(id)
            if job["Restarts"] == "1", job["JobState"] == "PENDING" {
                _ = try slurm.command(["scontrol", "update", "JobId=\(id)", "StartTime=now"])
                break
            }
            if let state = job["JobState"], !LocalSlurm.activeStates.contains(state) {
                return XCTFail("job ended (\(state)) instead of being requeued\n\(slurm.output(of: id))")
            }
            guard Date() < requeued else { return XCTFail("job not requeued after 120 s: \(job)\n\(slurm.output(of: id))") }
            Thread.sleep(forTimeInterval: 0.5)
        }

        let job = try slurm.wait(for: id, limit: 400)
        let log = slurm.output(of: id)
        XCTAssertEqual(job["JobState"], "COMPLETED", log)
        XCTAssertEqual(job["Restarts"], "1", log)
        XCTAssertTrue(log.contains("requeueing job \(id)"), log)
        XCTAssertTrue(log.contains("(restart 1)"), log)
        XCTAssertTrue(log.contains("--resume auto"), log)
        let checkpoint = try Checkpoint.load(run + String(format: "/checkpoints/step-%06d.gckpt", steps))
        XCTAssertEqual(checkpoint.header.step, steps, log)
        XCTAssertEqual(checkpoint.generator.adamStep, steps, log)
        XCTAssertEqual(try metrics(in: run).last?["step"] as? Int, steps, log)
    }
}

/// A private one-node Slurm for one test (cluster/slurm/local-slurm.sh), stopped by the
/// test's teardown.
struct LocalSlurm {
    let root: String
    let environment: [String: String]
    static let script = ClusterTests.repository + "/cluster/slurm/local-slurm.sh"
    static let activeStates: Set<String> = ["PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "REQUEUED",
                                            "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SUSPENDED", "STAGE_OUT",
                                            "SIGNALING", "STOPPED"]

    /// Installs Slurm when missing (apt-get), starts it, and registers its stop. A start that
    /// fails is retried with a fresh state directory and port pair (another program may hold
    /// the port; a daemon may not come up once): three failures fail the test with the
    /// script's output, which holds the daemons' logs.
    static func start(_ test: XCTestCase) throws -> LocalSlurm {
        guard getuid() == 0 else { throw XCTSkip("a local Slurm needs root (its daemons run as root)") }
        let root = try temporaryDirectory("slurm")
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: root) }
        var failures: [String] = []
        for attempt in 0..<3 {
            let port = Int.random(in: 20000..<40000) & ~1
            let slurm = LocalSlurm(root: root, environment: [
                "GANTRY_SLURM_DIR": root + "/slurm-\(attempt)", "GANTRY_SLURM_PORT": String(port),
                "SLURM_CONF": root + "/slurm-\(attempt)/slurm.conf", "GANTRY_BIN": GantryProcess.binary,
                "GANTRY_RUNS": root + "/runs",
                // The script's own limit once the packages are installed (a start takes a second
                // or two here); it then fails with the daemons' logs.
                "GANTRY_SLURM_TIMEOUT": "120"])
            test.addTeardownBlock {
                let stopped = try? slurm.command([script, "stop"], limit: 120)
                XCTAssertEqual(stopped?.status, 0, "local-slurm.sh stop: \(stopped?.output ?? "did not run")")
            }
            // Installing the packages on a fresh machine takes a minute or two.
            let started = try slurm.command([script, "start"], limit: 900)
            if started.status == 0 {
                if !failures.isEmpty { print("LocalSlurm: started at attempt \(attempt + 1) after:\n" + failures.joined(separator: "\n")) }
                return slurm
            }
            failures.append("attempt \(attempt + 1) (port \(port)), status \(started.status):\n\(started.output)")
        }
        throw SlurmFailure(message: "local-slurm.sh start failed three times:\n" + failures.joined(separator: "\n"))
    }

    func command(_ arguments: [String], limit: Int = 60, environment extra: [String: String] = [:]) throws -> GantryProcess.Outcome {
        try GantryProcess.command(arguments, limit: limit, environment: environment.merging(extra) { _, new in new })
    }

    /// sbatch from `root` (so runs/ lands there), output to root/slurm-JOBID.out; the job id.
    func submit(_ arguments: [String], environment extra: [String: String] = [:]) throws -> String {
        let outcome = try command(["sbatch", "--parsable", "-D", root, "-o", root + "/slurm-%j.out"] + arguments,
                                  environment: extra)
        let id = outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
        guard outcome.status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw SlurmFailure(message: "sbatch failed (status \(outcome.status)):\n\(outcome.output)")
        }
        return id
    }

    /// `scontrol show job` as KEY=VALUE pairs (one-line form).
    func job(_ id: String) throws -> [String: String] {
        let outcome = try command(["scontrol", "-o", "show", "job", id], limit: 30)
        var fields: [String: String] = [:]
        for word in outcome.stdout.split(whereSeparator: \.isWhitespace) {
            guard let equals = word.firstIndex(of: "=") else { continue }
            fields[String(word[..<equals])] = String(word[word.index(after: equals)...])
        }
        return fields
    }

    /// Polls until the job has ended, for at most `limit` seconds (then cancels it and fails).
    func wait(for id: String, limit: TimeInterval) throws -> [String: String] {
        let deadline = Date().addingTimeInterval(limit)
        while true {
            let fields = try job(id)
            if let state = fields["JobState"], !Self.activeStates.contains(state) { return fields }
            if Date() > deadline {
                _ = try? command(["scancel", id])
                XCTFail("job \(id) still \(fields["JobState"] ?? "?") after \(Int(limit)) s\n\(output(of: id))")
                return fields
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    func output(of id: String) -> String {
        (try? String(contentsOfFile: "\(root)/slurm-\(id).out", encoding: .utf8)) ?? "(no slurm-\(id).out)"
    }
}

struct SlurmFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
