import XCTest
import Foundation

/// `gantry export`: the files load with safetensors and numpy under the PyTorch names and
/// shapes of docs/export.md (Tests/Fixtures/export, written by hand from PyTorch's naming
/// rules), and the exported weights run through a numpy forward pass give what
/// `gantry sample` gives.
final class ExportTests: XCTestCase {
    /// Loads the exports of one run and reports what a user of safetensors and numpy sees.
    /// argv: safetensors file, npz file, samples npz (`gantry sample --out x.npz`).
    /// The generator's forward pass is the part of the script that differs per model.
    private static func loadScript(forward: String) -> String {
        """
        import json, sys, zipfile
        import numpy as np
        from safetensors import safe_open
        from safetensors.numpy import load_file
        safetensors_path, npz_path, samples_path = sys.argv[1:]
        tensors = load_file(safetensors_path)
        with safe_open(safetensors_path, "np") as f:
            metadata = f.metadata()
        with zipfile.ZipFile(npz_path) as archive:
            crc_ok = archive.testzip() is None
            stored = all(entry.compress_type == zipfile.ZIP_STORED for entry in archive.infolist())
        arrays = dict(np.load(npz_path))
        def shapes(d): return {k: list(v.shape) for k, v in d.items()}
        def dtypes(d): return {k: str(v.dtype) for k, v in d.items()}
        def counts(d): return {k: int(v) for k, v in d.items() if k.endswith("num_batches_tracked")}
        generated = np.load(samples_path)
        def forward(w, z):
        \(forward.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        result = dict(safetensors_shapes=shapes(tensors), npz_shapes=shapes(arrays),
                      safetensors_dtypes=dtypes(tensors), npz_dtypes=dtypes(arrays),
                      safetensors_counts=counts(tensors), npz_counts=counts(arrays),
                      metadata=metadata, crc_ok=crc_ok, stored=stored,
                      sample_count=len(generated["samples"]))
        g_npz = {k[len("generator."):]: v for k, v in arrays.items() if k.startswith("generator.")} or arrays
        g_st = {k[len("generator."):]: v for k, v in tensors.items() if k.startswith("generator.")} or tensors
        result["same_generator"] = sorted(g_npz) == sorted(g_st) and all(np.array_equal(g_npz[k], g_st[k]) for k in g_st)
        expected = forward({k: v.astype(np.float64) for k, v in g_st.items()}, generated["noise"].astype(np.float64))
        result["max_error"] = float(np.abs(expected - generated["samples"]).max())
        print(json.dumps(result))
        """
    }

    /// dcgan28's G in numpy: ConvTranspose2d as a scatter of each input pixel's
    /// (Cin) · (Cin, Cout, k, k) product, BatchNorm in eval mode (ε 1e-5, BatchNorm.swift), ReLU, Tanh.
    private static let dcganForward = """
        def transposed(x, weight, stride, padding):
            n, _, h, width = x.shape
            k = weight.shape[2]
            full = np.zeros((n, weight.shape[1], (h - 1) * stride + k, (width - 1) * stride + k))
            for i in range(h):
                for j in range(width):
                    full[:, :, i * stride:i * stride + k, j * stride:j * stride + k] += np.einsum("nc,cokl->nokl", x[:, :, i, j], weight)
            return full[:, :, padding:full.shape[2] - padding, padding:full.shape[3] - padding]
        def batch_norm(x, i):
            c = lambda name: w[f"{i}.{name}"][None, :, None, None]
            return (x - c("running_mean")) / np.sqrt(c("running_var") + 1e-5) * c("weight") + c("bias")
        x = z[:, :, None, None]
        for conv, stride, padding in [(0, 1, 0), (3, 2, 1), (6, 2, 1)]:
            x = np.maximum(batch_norm(transposed(x, w[f"{conv}.weight"], stride, padding), conv + 1), 0)
        return np.tanh(transposed(x, w["9.weight"], 2, 1))
        """

    /// mlp's G in numpy: Linear weights (out, in).
    private static let mlpForward = """
        x = np.maximum(z @ w["0.weight"].T + w["0.bias"], 0)
        x = np.maximum(x @ w["2.weight"].T + w["2.bias"], 0)
        return x @ w["4.weight"].T + w["4.bias"]
        """

    /// The fixture's networks: `generator` alone under plain keys, or both under prefixes.
    private func expectedShapes(_ model: String, withDiscriminator: Bool) throws -> [String: [Int]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: PythonCheck.fixture(model)))
        let networks = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: [String: [Int]]])
        let generator = try XCTUnwrap(networks["generator"]), discriminator = try XCTUnwrap(networks["discriminator"])
        guard withDiscriminator else { return generator }
        var both: [String: [Int]] = [:]
        for (key, shape) in generator { both["generator." + key] = shape }
        for (key, shape) in discriminator { both["discriminator." + key] = shape }
        return both
    }

    private func gantry(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let outcome = try GantryProcess.direct(arguments)
        XCTAssertEqual(outcome.status, 0, outcome.output, file: file, line: line)
    }

    /// Exports `run` in both formats, D only in `formatWithD`'s file (extra flags in
    /// `flags`), writes `count` samples to .npz, and loads the three files in Python.
    private func exportAndLoad(_ run: String, formatWithD: String, flags: [String], count: Int,
                               forward: String) throws -> [String: Any] {
        let dir = try temporaryDirectory("export")
        let files = ["safetensors", "npz"].map { dir + "/model." + $0 }
        for (format, file) in zip(["safetensors", "npz"], files) {
            let withD = format == formatWithD ? ["--with-discriminator"] : []
            try gantry(["export", "--checkpoint", run, "--format", format, "--out", file] + withD + flags)
        }
        try gantry(["sample", "--checkpoint", run, "--out", dir + "/samples.npz", "--count", String(count)])
        return try PythonCheck.run(Self.loadScript(forward: forward), files + [dir + "/samples.npz"])
    }

    /// dcgan28: safetensors with D, .npz of G alone; 300 samples (two chunks of generation).
    func testDCGAN28ExportLoadsUnderPyTorchNamesAndReproducesSamples() throws {
        let result = try exportAndLoad(try SmallRuns.dcgan28, formatWithD: "safetensors", flags: ["--raw-g"], count: 300,
                                       forward: Self.dcganForward)

        XCTAssertEqual(result["safetensors_shapes"] as? [String: [Int]], try expectedShapes("dcgan28", withDiscriminator: true))
        XCTAssertEqual(result["npz_shapes"] as? [String: [Int]], try expectedShapes("dcgan28", withDiscriminator: false))
        for key in ["safetensors_dtypes", "npz_dtypes"] {
            let dtypes = try XCTUnwrap(result[key] as? [String: String], key)
            for (name, dtype) in dtypes {
                XCTAssertEqual(dtype, name.hasSuffix("num_batches_tracked") ? "int64" : "float32", "\(key) \(name)")
            }
        }
        // 3 steps of 2 D steps: G ran 3·2 training passes, D 2·3·2 + 3 (docs/export.md).
        let stCounts = try XCTUnwrap(result["safetensors_counts"] as? [String: Int])
        XCTAssertEqual(stCounts.count, 5)
        for (name, count) in stCounts { XCTAssertEqual(count, name.hasPrefix("generator.") ? 6 : 15, name) }
        XCTAssertEqual(result["npz_counts"] as? [String: Int], ["1.num_batches_tracked": 6, "4.num_batches_tracked": 6, "7.num_batches_tracked": 6])
        XCTAssertEqual(result["metadata"] as? [String: String],
                       ["format": "pt", "gantry_version": "0.1.0", "model": "dcgan28", "dataset": "glyphs", "step": "3",
                        "generator": "trained"])
        XCTAssertEqual(result["crc_ok"] as? Bool, true)
        XCTAssertEqual(result["stored"] as? Bool, true)
        XCTAssertEqual(result["same_generator"] as? Bool, true)
        XCTAssertEqual(result["sample_count"] as? Int, 300)
        let error = try XCTUnwrap(result["max_error"] as? Double)
        XCTAssertLessThan(error, 1e-4, "numpy's forward pass of the exported G differs from gantry sample's")
    }

    /// mlp: safetensors of G alone, .npz with D: Linear weights as (out, in).
    func testMLPExportLoadsUnderPyTorchNamesAndReproducesSamples() throws {
        let result = try exportAndLoad(try SmallRuns.mlp, formatWithD: "npz", flags: [], count: 50, forward: Self.mlpForward)

        XCTAssertEqual(result["safetensors_shapes"] as? [String: [Int]], try expectedShapes("mlp", withDiscriminator: false))
        XCTAssertEqual(result["npz_shapes"] as? [String: [Int]], try expectedShapes("mlp", withDiscriminator: true))
        XCTAssertEqual((result["metadata"] as? [String: String])?["model"], "mlp")
        XCTAssertEqual(result["same_generator"] as? Bool, true)
        XCTAssertEqual(result["crc_ok"] as? Bool, true)
        let error = try XCTUnwrap(result["max_error"] as? Double)
        XCTAssertLessThan(error, 1e-4, "numpy's forward pass of the exported G differs from gantry sample's")
    }

    /// Each failure is one error line naming the input, and leaves no file behind.
    func testExportErrorsAreOneLineNamingTheInput() throws {
        let run = try SmallRuns.mlp, dir = try temporaryDirectory("export-errors")
        let notACheckpoint = dir + "/notes.gckpt"
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: notACheckpoint))
        let cases: [(arguments: [String], status: Int32, names: String)] = [
            (["--checkpoint", run, "--format", "onnx", "--out", dir + "/a.onnx"], 64, "onnx"),
            (["--checkpoint", run, "--format", "npz", "--out", dir + "/missing/a.npz"], 1, dir + "/missing/a.npz"),
            (["--checkpoint", notACheckpoint, "--format", "safetensors", "--out", dir + "/b.safetensors"], 1, notACheckpoint),
            (["--checkpoint", dir + "/nothing", "--format", "safetensors", "--out", dir + "/c.safetensors"], 1, dir + "/nothing"),
        ]
        for (arguments, status, names) in cases {
            let outcome = try GantryProcess.direct(["export"] + arguments)
            XCTAssertEqual(outcome.status, status, outcome.output)
            XCTAssertEqual(outcome.errorLines.count, 1, outcome.output)
            XCTAssertTrue(outcome.errorLines.first?.contains(names) ?? false, outcome.output)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertEqual(left, ["notes.gckpt"], "a failed export left files behind")
    }
}
