import XCTest
import Foundation
import GantryTrain

/// Bad input on a 2-rank job: one clear error line naming the problem, a non-zero exit, and
/// the whole job ends (a rank left waiting in a collective would trip the timeout).
final class BadInputTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws { root = try temporaryDirectory("badinput") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    /// Runs `gantry train ARGS` on 2 ranks and checks the error contract.
    func assertRefused(_ arguments: [String], mentions words: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let outcome = try GantryProcess.mpirun(ranks: 2, ["train", "--steps", "2"] + arguments, limit: 60)
        XCTAssertNotEqual(outcome.status, 0, outcome.output, file: file, line: line)
        XCTAssertNotEqual(outcome.status, 124, "the job hung", file: file, line: line)
        XCTAssertEqual(outcome.errorLines.count, 1, "expected one error line\n\(outcome.output)", file: file, line: line)
        for word in words {
            XCTAssertTrue(outcome.errorLines.first?.contains(word) ?? false, "error does not mention '\(word)':\n\(outcome.output)",
                          file: file, line: line)
        }
        XCTAssertFalse(outcome.stdout.contains("step "), "training started:\n\(outcome.output)", file: file, line: line)
    }

    func testUnknownModel() throws {
        try assertRefused(["--model", "dcgan99", "--out", root + "/run"], mentions: ["unknown model", "dcgan99", "--model"])
    }

    func testUnknownDataset() throws {
        try assertRefused(["--data", "cifar", "--out", root + "/run"], mentions: ["cifar", "ring8"])
    }

    func testModelAndDatasetShapesMustMatch() throws {
        try assertRefused(["--model", "mlp", "--data", "glyphs", "--out", root + "/run"], mentions: ["mlp", "glyphs"])
    }

    func testMissingIDXFile() throws {
        try assertRefused(["--data", "idx:\(root)/nothing-here", "--out", root + "/run"], mentions: ["nothing-here", "does not exist"])
    }

    func testTruncatedIDXFile() throws {
        // A header announcing 100 images of 28×28, followed by 2 bytes of pixels.
        let path = root + "/train-images-idx3-ubyte"
        let bytes: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 100, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2]
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        try assertRefused(["--data", "idx:\(root)", "--out", root + "/run"], mentions: ["truncated", path])
    }

    func testBadSynchronisationFlags() throws {
        try assertRefused(["--compress", "bf16", "--out", root + "/run"], mentions: ["bf16", "--compress", "fp16"])
        try assertRefused(["--allreduce", "ring", "--out", root + "/run"], mentions: ["ring", "--allreduce", "bucketed"])
        try assertRefused(["--overlap", "thread", "--out", root + "/run"], mentions: ["--overlap thread", "removed"])
        try assertRefused(["--allreduce", "bucketed", "--bucket-mb", "0", "--out", root + "/run"], mentions: ["--bucket-mb", "0"])
    }

    func testBadR1Flags() throws {
        let mlp = ["--model", "mlp", "--data", "ring8", "--out", root + "/run"]
        try assertRefused(mlp + ["--r1", "-1"], mentions: ["--r1", "-1"])
        try assertRefused(mlp + ["--r1", "1", "--r1-every", "0"], mentions: ["--r1-every", "0"])
        try assertRefused(["--r1", "1", "--out", root + "/run"], mentions: ["--r1", "BatchNorm", "--d-norm none"])
        try assertRefused(["--d-norm", "layer", "--out", root + "/run"], mentions: ["--d-norm", "layer"])
    }

    func testNonPositiveBatch() throws {
        try assertRefused(["--batch", "0", "--out", root + "/run"], mentions: ["--batch", "0"])
        try assertRefused(["--batch=-3", "--out", root + "/run"], mentions: ["--batch", "-3"])
    }

    func testNumbersTooLargeOrNegative() throws {
        try assertRefused(["--steps", "-5", "--out", root + "/run"], mentions: ["--steps", "-5"])
        try assertRefused(["--epochs", "9223372036854775807", "--out", root + "/run"], mentions: ["--epochs"])
        try assertRefused(["--bucket-mb", "1e13", "--out", root + "/run"], mentions: ["--bucket-mb"])
        try assertRefused(["--model", "mlp", "--data", "ring8", "--steps", "9223372036854775807", "--d-steps", "2",
                           "--out", root + "/run"], mentions: ["--d-steps"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/run"), "a refused start left a run directory")
    }

    func testEmptyCheckpointIsRefused() throws {
        let empty = root + "/empty.gckpt"
        FileManager.default.createFile(atPath: empty, contents: Data())
        try assertRefused(["--resume", empty, "--out", root + "/run"], mentions: [empty, "empty"])
    }

    /// A requeued job whose run is already complete exits 0 and writes nothing; asking for
    /// fewer steps than the checkpoint holds is a usage error.
    func testResumingACompleteRun() throws {
        let run = root + "/run"
        let first = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "mlp", "--data", "ring8", "--steps", "6",
                                                        "--log-every", "2", "--out", run])
        XCTAssertEqual(first.status, 0, first.output)
        let files = try FileManager.default.subpathsOfDirectory(atPath: run).sorted()
        let config = try Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))
        let again = try GantryProcess.mpirun(ranks: 2, ["train", "--out", run, "--resume", "auto"], limit: 60)
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertTrue(again.stdout.contains("complete at step 6"), again.output)
        let fewer = try GantryProcess.mpirun(ranks: 2, ["train", "--out", run, "--resume", "auto", "--steps", "3"], limit: 60)
        XCTAssertEqual(fewer.status, 64, fewer.output)
        XCTAssertEqual(fewer.errorLines.count, 1, fewer.output)
        XCTAssertEqual(try FileManager.default.subpathsOfDirectory(atPath: run).sorted(), files)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: run + "/config.json")), config)
    }

    func testBatchOfOneOnABatchNormModel() throws {
        try assertRefused(["--model", "dcgan28", "--batch", "1", "--out", root + "/run"], mentions: ["--batch", "BatchNorm"])
    }

    /// Exit code 64 for what the parser or the plan refuses, 1 for everything else.
    func testUsageErrorsExit64AndOtherErrors1() throws {
        for (arguments, status) in [(["--batch", "x"], 64), (["--model", "dcgan28", "--batch", "1"], 64),
                                    (["--global-batch", "63"], 64), (["--data", "cifar"], 64),
                                    (["--data", "idx:\(root)/nothing-here"], 1)] as [([String], Int32)] {
            let outcome = try GantryProcess.mpirun(ranks: 2, ["train", "--steps", "2", "--out", root + "/run"] + arguments, limit: 60)
            XCTAssertEqual(outcome.status, status, "\(arguments)\n\(outcome.output)")
            XCTAssertEqual(outcome.stderr.contains(GantryError.usageHint), status == 64, "usage hint\n\(outcome.output)")
        }
    }

    func testGlobalBatchThatDoesNotDivide() throws {
        try assertRefused(["--global-batch", "63", "--out", root + "/run"], mentions: ["--global-batch 63", "2 ranks"])
    }

    func testUnwritableOutputDirectory() throws {
        // Root may write anywhere, so make the parent a regular file: nobody can create below it.
        let blocker = root + "/a-file"
        FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
        try assertRefused(["--model", "mlp", "--data", "ring8", "--out", blocker + "/run"], mentions: [blocker + "/run"])
    }

    func testExistingRunIsNeverOverwritten() throws {
        let run = root + "/run"
        let first = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "mlp", "--data", "ring8", "--steps", "4",
                                                        "--log-every", "2", "--out", run])
        XCTAssertEqual(first.status, 0, first.output)
        let metricsBefore = try Data(contentsOf: URL(fileURLWithPath: run + "/metrics.jsonl"))
        let checkpointBefore = try Data(contentsOf: URL(fileURLWithPath: run + "/checkpoints/step-000004.gckpt"))
        try assertRefused(["--model", "mlp", "--data", "ring8", "--out", run], mentions: [run, "already holds a run"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: run + "/metrics.jsonl")), metricsBefore)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: run + "/checkpoints/step-000004.gckpt")), checkpointBefore)
    }

    func testMalformedFlagValueIsReportedOnce() throws {
        let outcome = try GantryProcess.mpirun(ranks: 2, ["train", "--steps", "many"], limit: 60)
        XCTAssertNotEqual(outcome.status, 0)
        XCTAssertEqual(outcome.errorLines.count, 1, outcome.output)
        XCTAssertTrue(outcome.errorLines.first?.contains("'many' is invalid for '--steps") ?? false, outcome.output)
    }

    /// Packing and minibatch-stddev groups must lie within a rank's slice; widths must be widths.
    func testBadArchitectureFlags() throws {
        try assertRefused(["--model", "mlp", "--data", "ring8", "--global-batch", "64", "--pack", "3", "--out", root + "/run"],
                          mentions: ["--pack 3", "32 per rank"])
        try assertRefused(["--model", "mlp", "--data", "ring8", "--batch", "6", "--mbstd", "--out", root + "/run"],
                          mentions: ["--mbstd", "6 per rank"])
        try assertRefused(["--model", "mlp", "--data", "ring8", "--g-widths", "400,x", "--out", root + "/run"],
                          mentions: ["--g-widths", "400,x"])
        try assertRefused(["--model", "dcgan28", "--maxout", "5", "--out", root + "/run"], mentions: ["--maxout", "mlp"])
        try assertRefused(["--model", "mlp", "--data", "ring8", "--mbstd", "--r1", "1", "--out", root + "/run"],
                          mentions: ["--r1", "--mbstd"])
    }
}
