import Foundation
import XCTest

/// Short training runs that ExportTests and SampleTests read: each is trained once per test
/// process, on first use, and shared.
enum SmallRuns {
    /// dcgan28 on glyphs, batch 8, 3 steps of 2 D steps each: G then made 6 training-mode
    /// passes and D 15, which `num_batches_tracked` must tell apart from the step count.
    static var dcgan28: String { get throws { try dcgan28Run.get() } }
    /// mlp on ring8, 5 steps.
    static var mlp: String { get throws { try mlpRun.get() } }

    private static let dcgan28Run = Result {
        try train("dcgan28", ["--data", "glyphs", "--batch", "8", "--steps", "3", "--d-steps", "2", "--seed", "11"])
    }
    private static let mlpRun = Result {
        try train("mlp", ["--data", "ring8", "--steps", "5", "--seed", "5"])
    }

    private static func train(_ model: String, _ flags: [String]) throws -> String {
        let run = try temporaryDirectory("small-\(model)") + "/run"
        let outcome = try GantryProcess.direct(["train", "--model", model, "--out", run] + flags)
        guard outcome.status == 0 else { throw TrainingFailed(description: "training \(model) failed:\n\(outcome.output)") }
        return run
    }

    struct TrainingFailed: Error, CustomStringConvertible {
        let description: String
    }
}
