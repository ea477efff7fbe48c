import XCTest
@testable import GantryTrain

/// --lr-decay: the factor on both learning rates, a function of (step, steps, start) alone.
final class LearningRateDecayTests: XCTestCase {
    func testLinearHoldsThenFallsEvenlyTowardsZero() {
        // 10 steps, decay from half-way: steps 0...4 at full rate, then 1, 0.8, ..., 0.2.
        let factors = (0..<10).map { LearningRateDecay.linear.factor(step: $0, of: 10, start: 0.5) }
        let expected: [Float] = [1, 1, 1, 1, 1, 1, 0.8, 0.6, 0.4, 0.2]
        for (factor, want) in zip(factors, expected) { XCTAssertEqual(factor, want, accuracy: 1e-6) }
    }

    func testCosineFollowsHalfACosineAndEndsAboveZero() {
        let factors = (0..<100).map { LearningRateDecay.cosine.factor(step: $0, of: 100, start: 0) }
        XCTAssertEqual(factors[0], 1)
        XCTAssertEqual(factors[50], 0.5, accuracy: 1e-6)
        XCTAssertEqual(factors[25], Float((1 + cos(Double.pi / 4)) / 2), accuracy: 1e-6)
        XCTAssertGreaterThan(factors[99], 0, "the last update still moves the weights")
        XCTAssertLessThan(factors[99], 0.001)
        XCTAssertEqual(factors, factors.sorted(by: >), "the factor never rises")
    }

    func testNoneAndTheStepsBeforeTheStartKeepTheFullRate() {
        XCTAssertEqual((0..<20).map { LearningRateDecay.none.factor(step: $0, of: 20, start: 0) }, Array(repeating: 1, count: 20))
        XCTAssertEqual(LearningRateDecay.linear.factor(step: 74, of: 100, start: 0.75), 1)
        XCTAssertLessThan(LearningRateDecay.linear.factor(step: 76, of: 100, start: 0.75), 1)
    }

    func testTheOptionsParseStoreAndRefuseABadStart() throws {
        let options = try TrainingOptions.parse(["--lr-decay", "cosine", "--lr-decay-start", "0.25"])
        XCTAssertEqual(options.lrDecay, .cosine)
        XCTAssertEqual(options.settings["lr_decay"], .string("cosine"))
        XCTAssertEqual(options.settings["lr_decay_start"], .double(0.25))
        XCTAssertEqual(TrainingOptions.defaults.lrDecay, .none)
        for start in ["1", "-0.1", "nan"] {
            XCTAssertThrowsError(try TrainingOptions.parse(["--lr-decay-start", start])) { error in
                XCTAssertTrue(TrainingOptions.message(for: error).contains("--lr-decay-start"), "\(error)")
            }
        }
        XCTAssertThrowsError(try TrainingOptions.parse(["--lr-decay", "step"]))
    }
}
