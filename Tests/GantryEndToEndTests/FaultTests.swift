import XCTest
import Foundation
import Glibc
@testable import GantryTrain

/// Preemption, dead ranks, corrupt checkpoints, NaN and a full disk: each ends the job
/// cleanly, says why, and never costs a good checkpoint.
final class FaultTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws { root = try temporaryDirectory("fault") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func checkpointSteps(_ run: String) -> [Int] { CheckpointDirectory(runDirectory: run).checkpoints.map(\.step) }

    func testSIGTERMToOneRankCheckpointsAtTheNextStepAndResumes() throws {
        let run = root + "/run"
        let job = try GantryProcess.launch(ranks: 2, ["train", "--model", "dcgan28", "--batch", "8", "--steps", "5000",
                                                      "--log-every", "1", "--checkpoint-every", "5000", "--out", run])
        XCTAssertTrue(waitUntil(120) { ((try? metrics(in: run).count) ?? 0) >= 3 }, "training did not start")
        let ranks = GantryProcess.rankProcesses(containing: run)
        XCTAssertEqual(ranks.count, 2)
        kill(try XCTUnwrap(ranks.last), SIGTERM)
        let outcome = job.wait()
        XCTAssertEqual(outcome.status, 0, outcome.output)
        XCTAssertTrue(outcome.stdout.contains("stopped on SIGTERM/SIGINT at step"), outcome.output)
        let steps = checkpointSteps(run)
        XCTAssertEqual(steps.count, 1, "\(steps)")
        let stopped = try XCTUnwrap(steps.first)
        XCTAssertLessThan(stopped, 5000)
        XCTAssertEqual(try Checkpoint.load(CheckpointDirectory(runDirectory: run).file(step: stopped)).header.step, stopped)

        let resumed = try GantryProcess.mpirun(ranks: 2, ["train", "--steps", String(stopped + 2), "--out", run, "--resume", "auto"])
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertTrue(resumed.stdout.contains("resuming at step \(stopped)"), resumed.output)
        XCTAssertEqual(checkpointSteps(run).last, stopped + 2)
    }

    /// Launchers and `timeout` may deliver SIGTERM twice; within 2 s the second one is the
    /// same request, not a demand to die before the checkpoint.
    func testRepeatedSIGTERMStillCheckpoints() throws {
        let run = root + "/run"
        let job = try GantryProcess.launch(ranks: 2, ["train", "--model", "dcgan28", "--batch", "8", "--steps", "5000",
                                                      "--log-every", "1", "--checkpoint-every", "5000", "--out", run])
        XCTAssertTrue(waitUntil(120) { ((try? metrics(in: run).count) ?? 0) >= 3 }, "training did not start")
        let rank = try XCTUnwrap(GantryProcess.rankProcesses(containing: run).last)
        kill(rank, SIGTERM)
        usleep(100_000)
        kill(rank, SIGTERM)
        let outcome = job.wait()
        XCTAssertEqual(outcome.status, 0, outcome.output)
        XCTAssertTrue(outcome.stdout.contains("stopped on SIGTERM/SIGINT at step"), outcome.output)
        XCTAssertEqual(checkpointSteps(run).count, 1, "no final checkpoint")
    }

    func testKilledRankEndsTheJobAndTheLastCheckpointLoads() throws {
        let run = root + "/run"
        let job = try GantryProcess.launch(ranks: 2, ["train", "--model", "dcgan28", "--batch", "8", "--steps", "5000",
                                                      "--log-every", "1", "--checkpoint-every", "2", "--out", run])
        XCTAssertTrue(waitUntil(120) { checkpointSteps(run).count >= 2 }, "no checkpoints appeared")
        let ranks = GantryProcess.rankProcesses(containing: run)
        XCTAssertEqual(ranks.count, 2)
        let killed = Date()
        kill(try XCTUnwrap(ranks.last), SIGKILL)
        let outcome = job.wait()
        let seconds = Date().timeIntervalSince(killed)
        print("mpirun ended \(String(format: "%.1f", seconds)) s after kill -9 of rank 1, exit \(outcome.status)")
        XCTAssertNotEqual(outcome.status, 0, outcome.output)
        XCTAssertNotEqual(outcome.status, 124, "the job hung after a rank died\n\(outcome.output)")
        XCTAssertLessThan(seconds, 15, outcome.output)
        XCTAssertTrue(outcome.output.contains("rank 1") || outcome.output.contains("signal 9"), outcome.output)
        let newest = try XCTUnwrap(CheckpointDirectory(runDirectory: run).checkpoints.last)
        XCTAssertNoThrow(try Checkpoint.load(newest.path))
        XCTAssertTrue(GantryProcess.rankProcesses(containing: run).isEmpty, "a rank survived")
    }

    func testDamagedCheckpointsAreRefusedAndAutoFallsBack() throws {
        let run = root + "/run"
        let trained = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "mlp", "--data", "ring8", "--steps", "20",
                                                          "--checkpoint-every", "10", "--out", run])
        XCTAssertEqual(trained.status, 0, trained.output)
        let good = try AtomicFile.read(run + "/checkpoints/step-000020.gckpt")

        var flipped = good
        flipped[good.count / 2] ^= 0x01
        var future = good
        let futureVersion = CheckpointFile.formatVersion + 1
        future[8] = UInt8(futureVersion)
        var wrongMagic = good
        wrongMagic[0...7] = ArraySlice(Array("PNGFILE!".utf8))
        let damaged: [(String, [UInt8], [String])] = [
            ("truncated", Array(good.prefix(good.count - 1000)), ["truncated"]),
            ("bitflip", flipped, ["corrupt", "CRC32"]),
            ("magic", wrongMagic, ["not a Gantry checkpoint"]),
            ("future", future, ["format version \(futureVersion)", "update Gantry"]),
        ]
        for (name, bytes, words) in damaged {
            let path = "\(root)/\(name).gckpt"
            FileManager.default.createFile(atPath: path, contents: Data(bytes))
            let outcome = try GantryProcess.mpirun(ranks: 2, ["train", "--resume", path, "--out", "\(root)/from-\(name)"], limit: 60)
            XCTAssertEqual(outcome.status, 1, outcome.output)
            XCTAssertEqual(outcome.errorLines.count, 1, outcome.output)
            for word in words {
                XCTAssertTrue(outcome.errorLines.first?.contains(word) ?? false, "\(name): no '\(word)' in\n\(outcome.output)")
            }
            let inspected = try GantryProcess.direct(["inspect", path])
            XCTAssertEqual(inspected.status, 1, "inspect accepted the \(name) checkpoint\n\(inspected.output)")
        }

        // Another model's checkpoint given to a run of this model.
        let other = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "dcgan28", "--resume", run + "/checkpoints/step-000020.gckpt",
                                                        "--out", root + "/other"], limit: 60)
        XCTAssertEqual(other.status, 1, other.output)
        XCTAssertTrue(other.errorLines.first?.contains("--model dcgan28 conflicts with the checkpoint, which holds a mlp") ?? false, other.output)

        // --resume auto skips a corrupt newest checkpoint, says so, and uses the one before.
        FileManager.default.createFile(atPath: run + "/checkpoints/step-000020.gckpt", contents: Data(flipped))
        let resumed = try GantryProcess.mpirun(ranks: 2, ["train", "--steps", "30", "--out", run, "--resume", "auto"])
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertTrue(resumed.stderr.contains("gantry: warning: skipping") && resumed.stderr.contains("step-000020.gckpt"), resumed.output)
        XCTAssertTrue(resumed.stdout.contains("resuming at step 10"), resumed.output)
        XCTAssertEqual(try Checkpoint.load(run + "/checkpoints/step-000030.gckpt").header.step, 30)
    }

    func testNonFiniteStepStopsAndKeepsTheLastGoodCheckpoint() throws {
        let run = root + "/run"
        let first = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "mlp", "--data", "ring8", "--steps", "10", "--out", run])
        XCTAssertEqual(first.status, 0, first.output)
        let good = try AtomicFile.read(run + "/checkpoints/step-000010.gckpt")

        // A learning rate of 1e30 overflows the first update.
        let blown = try GantryProcess.mpirun(ranks: 2, ["train", "--steps", "30", "--lr-d", "1e30", "--lr-g", "1e30",
                                                        "--checkpoint-every", "1", "--out", run, "--resume", "auto"])
        XCTAssertEqual(blown.status, 1, blown.output)
        XCTAssertEqual(blown.errorLines.count, 1, blown.output)
        XCTAssertTrue(blown.errorLines.first?.contains("non-finite") ?? false, blown.output)
        XCTAssertTrue(blown.errorLines.first?.contains("step-000010.gckpt") ?? false, blown.output)
        let steps = checkpointSteps(run)
        XCTAssertEqual(steps.first, 10)
        XCTAssertFalse(steps.contains(30), "\(steps)")
        XCTAssertEqual(try AtomicFile.read(run + "/checkpoints/step-000010.gckpt"), good)
        // Checkpoints written before the blow-up hold finite parameters only.
        for step in steps {
            let checkpoint = try Checkpoint.load(CheckpointDirectory(runDirectory: run).file(step: step))
            XCTAssertTrue(checkpoint.generator.parameters.allSatisfy(\.isFinite), "step \(step)")
        }

        // With --on-nan skip-step the run goes on and counts the skipped updates.
        let skipping = root + "/skipping"
        let skipped = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "mlp", "--data", "ring8", "--steps", "6", "--log-every", "3",
                                                          "--lr-g", "1e30", "--on-nan", "skip-step", "--out", skipping])
        XCTAssertEqual(skipped.status, 0, skipped.output)
        let records = try metrics(in: skipping)
        XCTAssertGreaterThan(records.compactMap { $0["skipped_steps"] as? Int }.reduce(0, +), 0, "\(records)")
        let final = try Checkpoint.load(skipping + "/checkpoints/step-000006.gckpt")
        XCTAssertTrue(final.generator.parameters.allSatisfy(\.isFinite))
    }

    func testFullDiskKeepsThePreviousCheckpoint() throws {
        let disk = root + "/disk"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        // A 700 KiB filesystem holds one mlp checkpoint (about 410 KB) but not a second.
        let mounted = Process()
        mounted.executableURL = URL(fileURLWithPath: "/bin/mount")
        mounted.arguments = ["-t", "tmpfs", "-o", "size=700k", "tmpfs", disk]
        try mounted.run()
        mounted.waitUntilExit()
        guard mounted.terminationStatus == 0 else {
            throw XCTSkip("cannot mount a tmpfs here (mount exited \(mounted.terminationStatus)); needs root with CAP_SYS_ADMIN")
        }
        defer {
            let unmount = Process()
            unmount.executableURL = URL(fileURLWithPath: "/bin/umount")
            unmount.arguments = [disk]
            try? unmount.run()
            unmount.waitUntilExit()
        }
        let run = disk + "/run"
        let outcome = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "mlp", "--data", "ring8", "--steps", "10",
                                                          "--checkpoint-every", "5", "--sample-every", "1000", "--out", run])
        XCTAssertNotEqual(outcome.status, 0, outcome.output)
        XCTAssertEqual(outcome.errorLines.count, 1, outcome.output)
        XCTAssertTrue(outcome.errorLines.first?.contains("No space left on device") ?? false, outcome.output)
        XCTAssertTrue(outcome.errorLines.first?.contains("step-000010.gckpt") ?? false, outcome.output)
        XCTAssertEqual(checkpointSteps(run), [5])
        XCTAssertEqual(try Checkpoint.load(run + "/checkpoints/step-000005.gckpt").header.step, 5)
        let leftovers = directoryEntries(run + "/checkpoints").filter { $0.contains("tmp") }
        XCTAssertEqual(leftovers, [], "partial files left behind")
    }
}
