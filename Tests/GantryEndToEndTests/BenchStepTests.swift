import XCTest
import Foundation

/// `gantry bench step`, run briefly as a user would: CI prints its figures (they depend on the
/// machine and its load, so nothing here judges the speed) and checks that they make sense.
final class BenchStepTests: XCTestCase {
    private let partKeys: Set = ["data", "g_forward", "d_forward_backward", "d_allreduce",
                                 "d_forward_input_gradient", "g_backward", "g_allreduce", "optimizer"]

    /// Runs the benchmark and returns its JSON report, failing the test on a bad exit.
    private func bench(_ arguments: [String], ranks: Int? = nil,
                       file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let command = ["bench", "step", "--json"] + arguments
        let outcome = try ranks.map { try GantryProcess.mpirun(ranks: $0, command) } ?? GantryProcess.direct(command, limit: 300)
        XCTAssertEqual(outcome.status, 0, outcome.output, file: file, line: line)
        let lines = outcome.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one JSON line (rank 0 only) expected:\n\(outcome.output)", file: file, line: line)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any],
                             outcome.output, file: file, line: line)
    }

    /// A positive, finite number under `key`.
    @discardableResult
    private func positive(_ report: [String: Any], _ key: String, file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        let value = try XCTUnwrap(report[key] as? Double, "\(key) missing in \(report)", file: file, line: line)
        XCTAssertTrue(value.isFinite && value > 0, "\(key) = \(value)", file: file, line: line)
        return value
    }

    private func checkSanity(_ report: [String: Any], model: String, batch: Int, ranks: Int = 1,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(report["model"] as? String, model, file: file, line: line)
        XCTAssertEqual(report["batch"] as? Int, batch, file: file, line: line)
        XCTAssertEqual(report["world_size"] as? Int, ranks, file: file, line: line)
        XCTAssertEqual(report["threads"] as? Int, 1, file: file, line: line)
        XCTAssertEqual(report["sgemm_n"] as? Int, 1024, file: file, line: line)
        XCTAssertEqual(report["sgemm_repetitions"] as? Int, 10, file: file, line: line)
        XCTAssertGreaterThanOrEqual(try positive(report, "sgemm_gflops", file: file, line: line),
                                    try positive(report, "sgemm_gflops_median", file: file, line: line), file: file, line: line)
        for key in ["images_per_s", "global_images_per_s", "ms_per_iteration", "ms_per_iteration_mean", "ms_per_iteration_min",
                    "gflops", "sgemm_gflops", "sgemm_gflops_median", "share_of_peak", "peak_resident_mb", "model_memory_mb"] {
            try positive(report, key, file: file, line: line)
        }
        for key in ["loss_d", "loss_g"] {
            let value = try XCTUnwrap(report[key] as? Double, key, file: file, line: line)
            XCTAssertTrue(value.isFinite, "\(key) = \(value)", file: file, line: line)
        }
        let iteration = try positive(report, "ms_per_iteration", file: file, line: line)
        XCTAssertEqual(try positive(report, "images_per_s", file: file, line: line), 1000 * Double(batch) / iteration,
                       accuracy: 1e-6 * 1000 * Double(batch) / iteration, file: file, line: line)
        XCTAssertGreaterThanOrEqual(try positive(report, "peak_resident_mb", file: file, line: line),
                                    try positive(report, "model_memory_mb", file: file, line: line), file: file, line: line)

        let parts = try XCTUnwrap(report["ms_per_part"] as? [String: Double], file: file, line: line)
        XCTAssertEqual(Set(parts.keys), partKeys, file: file, line: line)
        for (key, value) in parts { XCTAssertTrue(value.isFinite && value >= 0, "ms_per_part.\(key) = \(value)", file: file, line: line) }
        for key in ["g_forward", "d_forward_backward", "d_forward_input_gradient", "g_backward", "optimizer"] {
            XCTAssertGreaterThan(parts[key] ?? 0, 0, "ms_per_part.\(key)", file: file, line: line)
        }

        let flops = try XCTUnwrap(report["flops_per_image"] as? Int, file: file, line: line)
        let byPart = try XCTUnwrap(report["flops_per_image_by_part"] as? [String: Int], file: file, line: line)
        XCTAssertEqual(Set(byPart.keys), ["g_forward", "d_phase", "g_phase"], file: file, line: line)
        XCTAssertEqual(byPart.values.reduce(0, +), flops, file: file, line: line)
        XCTAssertTrue(byPart.values.allSatisfy { $0 > 0 }, "\(byPart)", file: file, line: line)
        try checkKernels(report, file: file, line: line)
    }

    /// The BLAS, the CPU and the FMA-peak yardstick (docs/performance.md#the-fma-peak).
    private func checkKernels(_ report: [String: Any], file: StaticString, line: UInt) throws {
        let kernels = try XCTUnwrap(report["kernels"] as? [String: Any], "kernels missing", file: file, line: line)
        let blas = try XCTUnwrap(kernels["blas"] as? [String: Any], file: file, line: line)
        for key in ["name", "version", "kernels", "chosen_by"] {
            XCTAssertFalse((blas[key] as? String ?? "").isEmpty, "kernels.blas.\(key) in \(blas)", file: file, line: line)
        }
        let cpu = try XCTUnwrap(kernels["cpu"] as? [String: Any], file: file, line: line)
        XCTAssertNotNil(cpu["model"] as? String, file: file, line: line)
        XCTAssertNotNil(kernels["fma_isa"] as? String, file: file, line: line)
        XCTAssertFalse((kernels["convolutions"] as? String ?? "").isEmpty, "kernels.convolutions in \(kernels)", file: file, line: line)
        let peak = try positive(kernels, "fma_peak_gflops", file: file, line: line)
        let threads = Double(report["threads"] as? Int ?? 0)
        XCTAssertEqual(try positive(kernels, "share_of_fma_peak", file: file, line: line),
                       try positive(report, "gflops", file: file, line: line) / (peak * threads), accuracy: 1e-9, file: file, line: line)
        XCTAssertEqual(try positive(kernels, "sgemm_share_of_fma_peak", file: file, line: line),
                       try positive(report, "sgemm_gflops", file: file, line: line) / (peak * threads), accuracy: 1e-9,
                       file: file, line: line)
    }

    /// Prints the figures for the CI log.
    private func log(_ report: [String: Any]) {
        let parts = (report["ms_per_part"] as? [String: Double] ?? [:]).sorted { $0.key < $1.key }
            .map { "\($0.key) \(String(format: "%.2f", $0.value))" }.joined(separator: ", ")
        func number(_ key: String, _ digits: Int = 1, in object: [String: Any] = report) -> String {
            String(format: "%.\(digits)f", object[key] as? Double ?? .nan)
        }
        let kernels = report["kernels"] as? [String: Any] ?? [:]
        let blas = kernels["blas"] as? [String: Any] ?? [:], cpu = kernels["cpu"] as? [String: Any] ?? [:]
        print("""
        gantry bench step \(report["model"] ?? "?") batch \(report["batch"] ?? "?") ranks \(report["world_size"] ?? "?"): \
        \(number("images_per_s")) images/s, \(number("ms_per_iteration", 2)) ms/iteration, \(number("gflops")) GFLOP/s \
        = \(number("share_of_peak", 3)) of sgemm \(number("sgemm_gflops")) GFLOP/s \
        = \(number("share_of_fma_peak", 3, in: kernels)) of the FMA peak \(number("fma_peak_gflops", in: kernels)) GFLOP/s \
        per core (\(kernels["fma_isa"] ?? "?"); sgemm \(number("sgemm_share_of_fma_peak", 3, in: kernels)) of it), \
        \(blas["name"] ?? "?") \(blas["version"] ?? "?") \(blas["kernels"] ?? "?") kernels (chosen by \(blas["chosen_by"] ?? "?")) \
        on \(cpu["model"] ?? "?") (\(cpu["isa"] ?? "?")), convolutions: \(kernels["convolutions"] ?? "?"), peak resident \(number("peak_resident_mb")) MB \
        (model \(number("model_memory_mb")) MB), FLOPs/image \(report["flops_per_image"] ?? "?"); ms per part: \(parts)
        """)
    }

    func testEveryModelReportsSaneFigures() throws {
        for (model, batch, steps) in [("dcgan28", 64, 3), ("dcgan32", 32, 2), ("mlp", 64, 20)] {
            let report = try bench(["--model", model, "--batch", String(batch), "--steps", String(steps), "--warmup", "1"])
            log(report)
            try checkSanity(report, model: model, batch: batch)
            // The default backend: oneDNN takes dcgan28's four inner convolutions wherever it
            // has AVX2 or AVX-512 kernels (docs/performance.md#onednn-as-the-convolution-backend).
            let kernels = report["kernels"] as? [String: Any] ?? [:], isa = (kernels["cpu"] as? [String: Any])?["isa"] as? String ?? ""
            if model == "dcgan28" && (isa.hasPrefix("avx512") || isa.hasPrefix("avx2")) {
                XCTAssertEqual((kernels["convolutions"] as? String)?.hasPrefix("oneDNN"), true, "\(kernels)")
                XCTAssertEqual((kernels["convolutions"] as? String)?.contains("for 4 of 8"), true, "\(kernels)")
            }
            if model == "mlp" { XCTAssertEqual(kernels["convolutions"] as? String, "none") }
        }
    }

    /// The binary loads FoundationEssentials, never all of Foundation: Foundation proper and
    /// its ICU tables add 7 MB to every rank's resident memory (docs/performance.md#memory),
    /// which the 100 MB target cannot spare. An `import Foundation` anywhere in Sources/
    /// brings them back.
    func testTheBinaryLoadsNoFoundationBeyondEssentials() throws {
        let outcome = try GantryProcess.command(["ldd", GantryProcess.binary], limit: 30)
        XCTAssertEqual(outcome.status, 0, outcome.output)
        let libraries = outcome.stdout.split(separator: "\n").compactMap { $0.split(whereSeparator: \.isWhitespace).first.map(String.init) }
        XCTAssertTrue(libraries.contains("libFoundationEssentials.so"), outcome.stdout)
        for library in ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so"] {
            XCTAssertFalse(libraries.contains(library), "\(library) is loaded:\n\(outcome.stdout)")
        }
    }

    /// dcgan28's FLOPs per image, counted by hand from DESIGN.md's layer list: G forward, D
    /// forward and backward on the real and the fake batch (no gradient for D's input), then
    /// D forward and backward to the images and G backward (no gradient for the noise).
    func testFlopCountOfTheReferenceModel() throws {
        let report = try bench(["--model", "dcgan28", "--batch", "4", "--steps", "1", "--warmup", "0"])
        // Multiply-adds per sample: G's transposed convolutions, then their BatchNorms
        // (one multiply-add per value); D's convolutions, then its BatchNorms.
        let gConvolutions = [100 * 256 * 16, 256 * 128 * 9 * 16, 128 * 64 * 16 * 49, 64 * 16 * 196]
        let gNorms = [256 * 16, 128 * 49, 64 * 196]
        let dConvolutions = [64 * 16 * 196, 128 * 64 * 16 * 49, 256 * 128 * 9 * 16, 256 * 16]
        let dNorms = [128 * 49, 256 * 16]
        let gForward = gConvolutions.reduce(0, +) + gNorms.reduce(0, +)
        let dForward = dConvolutions.reduce(0, +) + dNorms.reduce(0, +)
        // Backward: parameter gradients (every layer here has parameters) and input
        // gradients (all but the first layer, unless asked for), each one forward's worth.
        let dBackwardForParameters = 2 * dForward - dConvolutions[0]
        let dBackwardToImages = dForward
        let gBackward = 2 * gForward - gConvolutions[0]
        let dPhase = 2 * (dForward + dBackwardForParameters)
        let gPhase = dForward + dBackwardToImages + gBackward
        let byPart = try XCTUnwrap(report["flops_per_image_by_part"] as? [String: Int])
        XCTAssertEqual(byPart["g_forward"], 2 * gForward)
        XCTAssertEqual(byPart["d_phase"], 2 * dPhase)
        XCTAssertEqual(byPart["g_phase"], 2 * gPhase)
        // DESIGN.md: about 252 MFLOP per image per iteration.
        let total = try XCTUnwrap(report["flops_per_image"] as? Int)
        XCTAssertEqual(Double(total) / 1e6, 252, accuracy: 3)
    }

    /// Under mpirun every rank trains and allreduces; only rank 0 prints.
    func testTwoRanks() throws {
        let report = try bench(["--model", "mlp", "--batch", "32", "--steps", "10", "--warmup", "1"], ranks: 2)
        log(report)
        try checkSanity(report, model: "mlp", batch: 32, ranks: 2)
        XCTAssertEqual(try positive(report, "global_images_per_s"), 2 * (try positive(report, "images_per_s")), accuracy: 1e-6)
    }

    func testBadFlagsAreOneErrorLine() throws {
        for (arguments, mention) in [(["--model", "resnet"], "resnet"), (["--batch", "0"], "--batch"),
                                     (["--steps", "-1"], "--steps"), (["--model", "dcgan28", "--batch", "1"], "--batch")] {
            let outcome = try GantryProcess.direct(["bench", "step"] + arguments)
            XCTAssertNotEqual(outcome.status, 0, outcome.output)
            XCTAssertEqual(outcome.errorLines.count, 1, outcome.output)
            XCTAssertTrue(outcome.errorLines.first?.contains(mention) ?? false, outcome.output)
        }
    }

    func testTextReport() throws {
        let outcome = try GantryProcess.direct(["bench", "step", "--model", "mlp", "--steps", "5", "--warmup", "1"])
        XCTAssertEqual(outcome.status, 0, outcome.output)
        print(outcome.stdout)
        for fragment in ["sgemm n=1024", "images/s", "GFLOP/s", "% of the sgemm peak", "peak resident", "FLOPs per image",
                         "BLAS:", "kernels (", "CPU:", "FMA peak:", "GFLOP/s per core"] {
            XCTAssertTrue(outcome.stdout.contains(fragment), "\(fragment) missing:\n\(outcome.stdout)")
        }
    }
}
