import Foundation
import XCTest

/// A bounded fuzz run on every test run: `fuzz/run.sh all 12` builds the libFuzzer targets
/// for Checkpoint.decode, the IDX readers (images and labels), the CIFAR-10 reader and the
/// JPEG and pack readers (AddressSanitizer on) and runs each for 12 seconds. Fails if the build fails or a target finds a crash, hang, out-of-memory or
/// sanitizer report; the script's summary (executions, coverage, the crashing input) is
/// printed either way. See docs/fuzzing.md.
final class FuzzTests: XCTestCase {
    /// The package root, from this file's path (Tests/GantryTrainTests/FuzzTests.swift).
    private static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func testBoundedFuzzRunFindsNoCrash() throws {
        let script = Self.root + "/fuzz/run.sh"
        guard FileManager.default.fileExists(atPath: script) else {
            return XCTFail("no fuzz/run.sh at \(script)")
        }
        // A fresh corpus and artifact directory per run keeps the time bounded; a crashing
        // input stays there (the path is printed) for reproduction.
        let out = NSTemporaryDirectory() + "gantry-fuzz-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // 12 s per target (five); the build (about 20 s from scratch on 2 cores) and the seeds
        // come on top. The outer limit only catches a wedged run.
        process.arguments = ["timeout", "-k", "10", "300", "bash", script, "all", "12"]
        var environment = ProcessInfo.processInfo.environment
        environment["GANTRY_FUZZ_OUT"] = out
        process.environment = environment
        let logPath = out + "/run.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try XCTUnwrap(FileHandle(forWritingAtPath: logPath))
        process.standardOutput = log
        process.standardError = log
        let start = Date()
        try process.run()
        process.waitUntilExit()
        try log.close()
        let seconds = Date().timeIntervalSince(start)
        let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        let summary = output.split(separator: "\n").filter { $0.hasPrefix("fuzz:") }.joined(separator: "\n")
        print("fuzz/run.sh all 12: exit \(process.terminationStatus) after \(Int(seconds)) s\n\(summary)")
        if process.terminationStatus == 0 {
            try? FileManager.default.removeItem(atPath: out)
        } else {
            XCTFail("""
                fuzz/run.sh all 12 failed (exit \(process.terminationStatus), \(Int(seconds)) s; \
                corpus, logs and any crashing input kept in \(out)):
                \(output.split(separator: "\n").suffix(80).joined(separator: "\n"))
                """)
        }
    }
}
