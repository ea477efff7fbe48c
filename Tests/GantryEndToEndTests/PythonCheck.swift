import Foundation

/// Python scripts run with $GANTRY_TEST_PYTHON (numpy, safetensors: launch/test-tools.sh),
/// the tools users read Gantry's files with.
enum PythonCheck {
    /// Runs `script` with `arguments` (sys.argv[1:]) and decodes the JSON object it prints last.
    static func run(_ script: String, _ arguments: [String]) throws -> [String: Any] {
        guard let python = ProcessInfo.processInfo.environment["GANTRY_TEST_PYTHON"], !python.isEmpty else {
            throw Failed(description: "GANTRY_TEST_PYTHON is not set: run the tests with launch/test.sh, which makes the Python environment (numpy, safetensors)")
        }
        let outcome = try GantryProcess.command([python, "-c", script] + arguments)
        guard outcome.status == 0, let last = outcome.stdout.split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] else {
            throw Failed(description: "the Python check failed:\n\(outcome.output)")
        }
        return object
    }

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    /// Tests/Fixtures/export/NAME.json.
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/export/\(name).json").path
    }
}
