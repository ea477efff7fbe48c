import XCTest
import Foundation
import GantryTrain

/// `gantry train --config FILE`: a run's config.json repeats the run, flags override the
/// file, and a bad file is refused with one line naming the key.
final class ConfigFileTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws { root = try temporaryDirectory("config") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func testARunsConfigReproducesItsFirstStepsBitIdentically() throws {
        let first = root + "/first", again = root + "/again"
        let original = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "dcgan28", "--batch", "8", "--steps", "2",
                                                           "--lr-g", "0.0005", "--d-steps", "2", "--out", first])
        XCTAssertEqual(original.status, 0, original.output)
        let repeated = try GantryProcess.mpirun(ranks: 2, ["train", "--config", first + "/config.json", "--out", again])
        XCTAssertEqual(repeated.status, 0, repeated.output)
        let a = try CheckpointFile.parse(try AtomicFile.read(first + "/checkpoints/step-000002.gckpt"), source: "first")
        let b = try CheckpointFile.parse(try AtomicFile.read(again + "/checkpoints/step-000002.gckpt"), source: "again")
        for section in a.sections where section.name.hasPrefix("G.") || section.name.hasPrefix("D.") {
            XCTAssertEqual(section.payload, b.section(section.name)?.payload, "\(section.name) differs")
        }
        let options = try Checkpoint.load(again + "/checkpoints/step-000002.gckpt").header.trainingOptions(source: "again")
        XCTAssertEqual(options.lrG, 0.0005)
        XCTAssertEqual(options.out, again, "the file's out is not taken")
    }

    func testFlagsOverrideTheFile() throws {
        let file = root + "/options.json", run = root + "/run"
        try Data(#"{"model": "mlp", "data": "ring8", "steps": 50, "log_every": 2}"#.utf8).write(to: URL(fileURLWithPath: file))
        let outcome = try GantryProcess.mpirun(ranks: 1, ["train", "--config", file, "--steps", "4", "--out", run])
        XCTAssertEqual(outcome.status, 0, outcome.output)
        XCTAssertEqual(try metrics(in: run).compactMap { $0["step"] as? Int }, [2, 4])
    }

    func testUnknownKeysAndWrongTypesAreRefusedNamingTheKey() throws {
        for (text, words) in [(#"{"model": "mlp", "lr_gen": 0.1}"#, ["lr_gen", "unknown"]),
                              (#"{"model": "mlp", "log_every": "often"}"#, ["log_every", "often"]),
                              (#"[1, 2]"#, ["not a JSON object"])] {
            let file = root + "/bad.json"
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            let outcome = try GantryProcess.mpirun(ranks: 2, ["train", "--config", file, "--out", root + "/run"], limit: 60)
            XCTAssertNotEqual(outcome.status, 0, outcome.output)
            XCTAssertEqual(outcome.errorLines.count, 1, outcome.output)
            for word in words + [file] {
                XCTAssertTrue(outcome.errorLines.first?.contains(word) ?? false, "'\(word)' missing:\n\(outcome.output)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/run"), "a refused start left a run directory")
        }
    }
}
