import Foundation
import XCTest

/// The real labelled digits the tests use: `launch/get-mnist5k.sh` run once into the test
/// build folder (.build-test/mnist5k beside release/gantry) and reused by every later test
/// run; the script does nothing when the files are there and valid.
enum MNIST5k {
    /// The directory holding train-images-idx3-ubyte and train-labels-idx1-ubyte
    /// (`--data idx:` + this).
    static var directory: String { get throws { try fetched.get() } }

    /// The package root, from this file's path (Tests/GantryEndToEndTests/MNIST5k.swift).
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The cache directory: in the build folder of the binary under test.
    static let cache = URL(fileURLWithPath: GantryProcess.binary)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("mnist5k").path

    /// Runs the script; its outcome (the download can fail without network).
    static func fetch() throws -> GantryProcess.Outcome {
        try GantryProcess.command([root + "/launch/get-mnist5k.sh", cache], limit: 300)
    }

    private static let fetched = Result {
        let outcome = try fetch()
        guard outcome.status == 0 else { throw Failed(description: "launch/get-mnist5k.sh \(cache) failed:\n\(outcome.output)") }
        return cache
    }

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }
}
