import XCTest
import ArgumentParser
@testable import GantryTrain

/// Each option is declared once (TrainingOptions): its flag, its JSON key and its checks all
/// follow from that declaration, and stored options read back through the same parser.
final class TrainingOptionsTests: XCTestCase {
    func testFlagsAndSettingsShareOneName() throws {
        let options = try TrainingOptions.parse(["--check-every", "7", "--lr-g", "0.001", "--sync-bn", "--on-nan", "skip-step",
                                                 "--global-batch", "32", "--bucket-mb", "0.5"])
        let settings = options.settings
        XCTAssertEqual(settings["check_every"], .integer(7))
        XCTAssertEqual(settings["lr_g"], .float(0.001))
        XCTAssertEqual(settings["sync_bn"], .bool(true))
        XCTAssertEqual(settings["on_nan"], .string("skip-step"))
        XCTAssertEqual(settings["global_batch"], .integer(32))
        XCTAssertNil(settings["batch"], "an unset optional is left out")
        XCTAssertEqual(settings["model"], .string("dcgan28"), "a default is stored too")
    }

    func testSettingsReadBackToTheSameOptions() throws {
        let options = try TrainingOptions.parse(["--model", "mlp", "--data", "ring8", "--steps", "12",
                                                 "--seed", "18446744073709551615", "--lr-d", "3e-5", "--beta2", "0.99",
                                                 "--no-sync-bn", "--compress", "fp16"])
        let stored = try JSONCoding.decode([String: SettingValue].self, from: JSONCoding.encode(options.settings))
        let read = try TrainingOptions(settings: stored, source: "test")
        XCTAssertEqual(read.settings, options.settings)
        XCTAssertEqual(read.seed, UInt64.max)
        XCTAssertEqual(read.lrD, 3e-5)
    }

    func testMissingSettingsTakeTheirDefaults() throws {
        let read = try TrainingOptions(settings: ["model": .string("mlp")], source: "test")
        XCTAssertEqual(read.model, "mlp")
        XCTAssertEqual(read.checkEvery, TrainingOptions.defaults.checkEvery)
    }

    func testUnknownKeysAndWrongTypesAreRefusedNamingTheKey() throws {
        XCTAssertThrowsError(try TrainingOptions(settings: ["check_evry": .integer(3)], source: "cfg.json")) { error in
            XCTAssertTrue("\(error)".contains("check_evry"), "\(error)")
            XCTAssertTrue("\(error)".contains("cfg.json"), "\(error)")
        }
        XCTAssertThrowsError(try TrainingOptions(settings: ["log_every": .string("often")], source: "cfg.json")) { error in
            XCTAssertTrue("\(error)".contains("--log-every"), "\(error)")
            XCTAssertTrue("\(error)".contains("often"), "\(error)")
        }
    }

    func testTheLaterFlagWins() throws {
        // How a resumed run applies the flags given now over the checkpoint's.
        let stored = try TrainingOptions.parse(["--lr-g", "0.01", "--log-every", "5"])
        let merged = try TrainingOptions.parse(stored.arguments + ["--lr-g", "0.002"])
        XCTAssertEqual(merged.lrG, 0.002)
        XCTAssertEqual(merged.logEvery, 5)
        XCTAssertEqual(stored.differences(to: merged), ["lr_g": "0.002"])
    }

    func testValuesAreCheckedWhereTheyAreDeclared() {
        for (arguments, words) in [(["--steps=-5"], ["--steps", "-5"]), (["--model", "dcgan99"], ["unknown model", "dcgan99"]),
                                   (["--beta1", "1"], ["--beta1"]), (["--overlap", "thread"], ["--overlap thread", "removed"]),
                                   (["--steps", "3", "--epochs", "2"], ["--steps", "--epochs"])] {
            XCTAssertThrowsError(try TrainingOptions.parse(arguments), "\(arguments)") { error in
                XCTAssertEqual(TrainingOptions.exitCode(for: error), .validationFailure, "\(arguments)")
                let message = TrainingOptions.message(for: error)
                for word in words { XCTAssertTrue(message.contains(word), "\(arguments): \(message)") }
            }
        }
    }
}
