import XCTest
import Foundation

/// The commands that use G after training take its moving average when the run kept one
/// (`--g-ema-kimg`, docs/ema.md), and the trained G with `--raw-g`; inspect shows the average.
final class GeneratorEMACommandTests: XCTestCase {
    /// mlp on ring8, 30 steps of 64 images, half-life 1 kimg: after the warm-up (h = 96
    /// images at the last step, β ≈ 0.63) the average is well apart from G.
    private static let run = Result { () throws -> String in
        let run = try temporaryDirectory("ema-run") + "/run"
        let outcome = try GantryProcess.direct(["train", "--model", "mlp", "--data", "ring8", "--steps", "30",
                                                "--g-ema-kimg", "1", "--seed", "7", "--out", run])
        guard outcome.status == 0 else { throw PythonCheck.Failed(description: "training failed:\n\(outcome.output)") }
        return run
    }

    private func gantry(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let outcome = try GantryProcess.direct(arguments)
        XCTAssertEqual(outcome.status, 0, outcome.output, file: file, line: line)
        return outcome.stdout
    }

    /// The run's sample pictures are the average's: `gantry sample` draws the last one again
    /// by default, and another picture with --raw-g.
    func testSampleUsesTheAverageUnlessRawG() throws {
        let run = try Self.run.get(), dir = try temporaryDirectory("ema-sample")
        let said = try gantry(["sample", "--checkpoint", run, "--out", dir + "/average.png"])
        XCTAssertTrue(said.contains("G's moving average"), said)
        let raw = try gantry(["sample", "--checkpoint", run, "--out", dir + "/raw.png", "--raw-g"])
        XCTAssertTrue(raw.contains("the trained G"), raw)
        let picture = try Data(contentsOf: URL(fileURLWithPath: run + "/samples/step-000030.png"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/average.png")), picture, "not the run's picture")
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/raw.png")), picture, "--raw-g drew the average")
    }

    /// The exported G is the one `gantry sample` draws from, with and without --raw-g: numpy's
    /// forward pass of each export gives that sample's points, and the two differ.
    func testExportWritesTheAverageUnlessRawG() throws {
        let run = try Self.run.get(), dir = try temporaryDirectory("ema-export")
        for (name, flags) in [("average", [String]()), ("raw", ["--raw-g"])] {
            let said = try gantry(["export", "--checkpoint", run, "--format", "npz", "--out", "\(dir)/\(name)-g.npz"] + flags)
            XCTAssertTrue(said.contains(name == "raw" ? "G (trained weights)" : "G (moving average)"), said)
            _ = try gantry(["sample", "--checkpoint", run, "--count", "50", "--out", "\(dir)/\(name)-samples.npz"] + flags)
        }
        let result = try PythonCheck.run("""
            import json, sys
            import numpy as np
            def forward(w, z):
                x = np.maximum(z @ w["0.weight"].T + w["0.bias"], 0)
                x = np.maximum(x @ w["2.weight"].T + w["2.bias"], 0)
                return x @ w["4.weight"].T + w["4.bias"]
            result = {}
            for name in ["average", "raw"]:
                w = {k: v.astype(np.float64) for k, v in np.load(f"{sys.argv[1]}/{name}-g.npz").items()}
                s = np.load(f"{sys.argv[1]}/{name}-samples.npz")
                result[name] = float(np.abs(forward(w, s["noise"].astype(np.float64)) - s["samples"]).max())
            a, r = np.load(f"{sys.argv[1]}/average-samples.npz"), np.load(f"{sys.argv[1]}/raw-samples.npz")
            result["same_noise"] = bool(np.array_equal(a["noise"], r["noise"]))
            result["apart"] = float(np.abs(a["samples"] - r["samples"]).max())
            print(json.dumps(result))
            """, [dir])
        XCTAssertLessThan(try XCTUnwrap(result["average"] as? Double), 1e-4, "the exported average is not what sample draws")
        XCTAssertLessThan(try XCTUnwrap(result["raw"] as? Double), 1e-4, "the exported --raw-g G is not what sample --raw-g draws")
        XCTAssertEqual(result["same_noise"] as? Bool, true)
        XCTAssertGreaterThan(try XCTUnwrap(result["apart"] as? Double), 1e-3, "the average and the trained G give the same samples")
    }

    /// inspect names the half-life and the images averaged, or says there is no average.
    func testInspectShowsTheAverage() throws {
        let run = try Self.run.get()
        let text = try gantry(["inspect", run])
        XCTAssertTrue(text.contains("format version 4, valid"), text)
        XCTAssertTrue(text.contains("G's moving average: half-life 1.0 kimg, 1920 images averaged"), text)
        for section in ["G_ema.parameters", "G_ema.state", "G_ema.images"] { XCTAssertTrue(text.contains(section), text) }
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try gantry(["inspect", run, "--json"]).utf8)) as? [String: Any])
        XCTAssertEqual(json["g_ema"] as? [String: Double], ["half_life_kimg": 1, "images": 1920])

        let without = try SmallRuns.mlp
        XCTAssertTrue(try gantry(["inspect", without]).contains("G's moving average: none"))
        let plain = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try gantry(["inspect", without, "--json"]).utf8)) as? [String: Any])
        XCTAssertTrue(plain["g_ema"] is NSNull, "\(plain["g_ema"] ?? "missing")")
    }
}
