import XCTest
import Foundation
import Glibc
@testable import GantryTrain

/// A rank that makes no progress is noticed and, after --stall-timeout, ends the job; runs
/// that progress hear nothing from the watchdog.
final class WatchdogTests: XCTestCase {
    static let watchdogWords = ["no progress", "--stall-timeout"]

    func testFrozenRankEndsTheJobNamingThePhaseAndTheStep() throws {
        let run = try temporaryDirectory("watchdog-frozen") + "/run"
        defer { try? FileManager.default.removeItem(atPath: (run as NSString).deletingLastPathComponent) }
        let job = try GantryProcess.launch(ranks: 2, ["train", "--model", "dcgan28", "--batch", "8", "--steps", "100000",
                                                      "--log-every", "10", "--checkpoint-every", "2",
                                                      "--stall-warn", "2", "--stall-timeout", "10", "--out", run], limit: 120)
        XCTAssertTrue(waitUntil(60) { CheckpointDirectory(runDirectory: run).checkpoints.count >= 2 }, "no checkpoints appeared")
        let ranks = GantryProcess.rankProcesses(containing: run)
        XCTAssertEqual(ranks.count, 2)
        let frozen = try XCTUnwrap(ranks.last)
        defer {
            // Nothing may outlive the test: a stopped process ignores everything but SIGKILL.
            for rank in GantryProcess.rankProcesses(containing: run) {
                kill(rank, SIGCONT)
                kill(rank, SIGKILL)
            }
        }
        kill(frozen, SIGSTOP)
        let stopped = Date()
        let outcome = job.wait()
        let seconds = Date().timeIntervalSince(stopped)
        print("the job ended \(String(format: "%.1f", seconds)) s after SIGSTOP of rank 1, exit \(outcome.status)")
        XCTAssertLessThan(seconds, 20, outcome.output)
        XCTAssertNotEqual(outcome.status, 0, outcome.output)
        XCTAssertNotEqual(outcome.status, 124, "the job hung until timeout killed it\n\(outcome.output)")
        XCTAssertEqual(outcome.errorLines.count, 1, outcome.output)
        let error = try XCTUnwrap(outcome.errorLines.first)
        XCTAssertTrue(error.contains("rank 0: no progress for"), outcome.output)
        let phases = Timeline.Phase.allCases.map(\.name)
        XCTAssertTrue(phases.contains { error.contains(" in \($0) of step ") }, "no phase and step in: \(error)")
        XCTAssertTrue(error.contains("--stall-timeout 10") && error.contains("the newest checkpoint is step-"), error)
        XCTAssertTrue(outcome.stderr.contains("gantry: warning: rank 0: no progress for"), "no warning before the abort\n\(outcome.output)")

        let newest = try XCTUnwrap(CheckpointDirectory(runDirectory: run).checkpoints.last)
        XCTAssertTrue(error.contains(CheckpointDirectory.fileName(step: newest.step)), "\(error) names another checkpoint than \(newest.path)")
        XCTAssertEqual(try Checkpoint.load(newest.path).header.step, newest.step)
    }

    func testRunsThatProgressPrintNoWatchdogLine() throws {
        let root = try temporaryDirectory("watchdog-quiet")
        defer { try? FileManager.default.removeItem(atPath: root) }
        // The thresholds are long against these steps, so only a phase that was never
        // published as ended (or a watchdog that misreads them) could warn.
        let quiet = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "dcgan28", "--batch", "8", "--steps", "40",
                                                        "--log-every", "10", "--checkpoint-every", "20",
                                                        "--stall-warn", "3", "--stall-timeout", "0", "--out", root + "/off"])
        let normal = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "mlp", "--data", "ring8", "--steps", "20",
                                                         "--out", root + "/normal"])
        for outcome in [quiet, normal] {
            XCTAssertEqual(outcome.status, 0, outcome.output)
            for word in Self.watchdogWords { XCTAssertFalse(outcome.output.contains(word), outcome.output) }
        }
    }
}
