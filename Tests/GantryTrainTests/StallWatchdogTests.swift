import XCTest
import ArgumentParser
import GantryMPI
@testable import GantryTrain

/// The watchdog's decisions, without waiting for a stall: when a phase that has not ended
/// counts as one, what the lines say, and the flags that set it.
final class StallWatchdogTests: XCTestCase {
    static let communicator = try? Communicator.initialize()

    func watchdog(warn: Double, timeout: Double, syncBatchNorm: Bool = false) throws -> StallWatchdog {
        StallWatchdog(progress: TrainingProgress(), warning: StallThreshold(seconds: warn), timeout: StallThreshold(seconds: timeout),
                      syncBatchNorm: syncBatchNorm, communicator: try XCTUnwrap(Self.communicator))
    }

    func snapshot(_ phase: Timeline.Phase, step: Int = 41, typicalStep: Double = 0.02, checkpoint: Int? = 40) -> TrainingProgress.Snapshot {
        TrainingProgress.Snapshot(phase: phase, step: step, since: 100, typicalStep: typicalStep, checkpointStep: checkpoint)
    }

    func testMedianIgnoresAFewSlowSteps() {
        var median = RecentMedian(capacity: 5)
        XCTAssertEqual(median.median, 0, "no step yet")
        median.add(3)
        XCTAssertEqual(median.median, 3)
        median.add(1)
        XCTAssertEqual(median.median, 2, "the mean of the middle two")
        for seconds in [2.0, 50, 2] { median.add(seconds) }
        XCTAssertEqual(median.median, 2, "a checkpoint's slow step does not move it")
        for _ in 0..<5 { median.add(7) }
        XCTAssertEqual(median.median, 7, "older steps leave the window")
    }

    func testThresholdIsNeverLessThanAFewTypicalSteps() {
        XCTAssertNil(StallThreshold(seconds: 0).seconds(typicalStep: 1), "0 is off")
        XCTAssertEqual(StallThreshold(seconds: 60).seconds(typicalStep: 0), 60, "before the first step")
        XCTAssertEqual(StallThreshold(seconds: 60).seconds(typicalStep: 0.5), 60)
        XCTAssertEqual(StallThreshold(seconds: 60).seconds(typicalStep: 30), 30 * StallThreshold.typicalStepMultiple)
    }

    func testWarnsOnceThenAbortsNamingPhaseStepAndCheckpoint() throws {
        let dog = try watchdog(warn: 2, timeout: 10)
        let stuck = snapshot(.generatorAllreduce)
        XCTAssertEqual(dog.verdict(stuck, idle: 1.5, warned: false), .none)
        guard case .warn(let warning) = dog.verdict(stuck, idle: 2.5, warned: false) else {
            return XCTFail("no warning after --stall-warn")
        }
        XCTAssertTrue(warning.hasPrefix("no progress for 2 s in G allreduce of step 41"), warning)
        XCTAssertTrue(warning.contains("a collective"), warning)
        XCTAssertEqual(dog.verdict(stuck, idle: 5, warned: true), .none, "one warning per stall")
        guard case .abort(let error) = dog.verdict(stuck, idle: 10, warned: true) else {
            return XCTFail("no abort after --stall-timeout")
        }
        XCTAssertTrue(error.hasPrefix("no progress for 10 s in G allreduce of step 41"), error)
        XCTAssertTrue(error.contains("--stall-timeout 10") && error.contains("step-000040.gckpt"), error)
        guard case .abort(let early) = dog.verdict(snapshot(.data, step: 1, checkpoint: nil), idle: 11, warned: false) else {
            return XCTFail("no abort")
        }
        XCTAssertTrue(early.contains("no checkpoint was written yet"), early)
    }

    func testSlowStepsRaiseTheThresholds() throws {
        let dog = try watchdog(warn: 2, timeout: 10)
        let slow = snapshot(.discriminatorForwardBackward, typicalStep: 4)
        XCTAssertEqual(dog.verdict(slow, idle: 15, warned: false), .none, "less than 5 typical steps")
        guard case .abort = dog.verdict(slow, idle: 21, warned: false) else { return XCTFail("no abort after 5 typical steps") }
    }

    func testTimeoutZeroNeverAborts() throws {
        let dog = try watchdog(warn: 2, timeout: 0)
        guard case .warn = dog.verdict(snapshot(.checkpoint), idle: 1e6, warned: false) else { return XCTFail("no warning") }
        XCTAssertEqual(dog.verdict(snapshot(.checkpoint), idle: 1e6, warned: true), .none)
    }

    func testPhasesSayWhetherTheyWaitForOthers() throws {
        let plain = try watchdog(warn: 1, timeout: 0), synchronized = try watchdog(warn: 1, timeout: 0, syncBatchNorm: true)
        XCTAssertEqual(plain.note(on: .checkpoint), "", "a rank writing a checkpoint waits for its disk")
        XCTAssertEqual(plain.note(on: .generatorForward), "")
        XCTAssertTrue(plain.note(on: .agreement).contains("waits for the others"))
        XCTAssertTrue(plain.note(on: .replicaCheck).contains("waits for the others"))
        XCTAssertTrue(synchronized.note(on: .generatorForward).contains("--sync-bn"))
        XCTAssertEqual(synchronized.note(on: .samples), "")
    }

    func testProgressIsReadAsPublished() throws {
        let progress = TrainingProgress()
        XCTAssertNil(progress.snapshot(), "nothing entered yet")
        progress.enter(.discriminatorAllreduce, step: 123_456, at: 50)
        progress.setTypicalStep(seconds: 0.25)
        progress.setCheckpoint(step: 120_000)
        XCTAssertEqual(progress.snapshot(), TrainingProgress.Snapshot(phase: .discriminatorAllreduce, step: 123_456, since: 50,
                                                                      typicalStep: 0.25, checkpointStep: 120_000))
        progress.excuse(until: 80)
        XCTAssertEqual(progress.snapshot()?.since, 80, "time this process was frozen does not count")
        progress.excuse(until: 70)
        XCTAssertEqual(progress.snapshot()?.since, 80, "never moved back")
    }

    func testFlagsAreCheckedAndStored() throws {
        let defaults = TrainingOptions.defaults
        XCTAssertEqual([defaults.stallWarn, defaults.stallTimeout], [60, 600])
        let options = try TrainingOptions.parse(["--stall-warn", "2", "--stall-timeout", "10"])
        XCTAssertEqual(options.settings["stall_warn"], .integer(2))
        XCTAssertEqual(options.settings["stall_timeout"], .integer(10))
        XCTAssertNoThrow(try TrainingOptions.parse(["--stall-warn", "900", "--stall-timeout", "0"]), "0: no timeout to be under")
        for (arguments, words) in [(["--stall-warn", "-1"], "--stall-warn must be 0 (off) or more"),
                                   (["--stall-timeout", "-5"], "--stall-timeout must be 0 (off) or more"),
                                   (["--stall-warn", "20", "--stall-timeout", "10"], "--stall-warn 20 is longer than --stall-timeout 10")] {
            XCTAssertThrowsError(try TrainingOptions.parse(arguments), "\(arguments)") { error in
                XCTAssertTrue(TrainingOptions.message(for: error).contains(words), TrainingOptions.message(for: error))
            }
        }
    }
}
