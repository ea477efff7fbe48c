import XCTest
import Foundation

/// The BLAS kernels of real gantry processes (docs/performance.md#kernel-selection). This
/// machine's OpenBLAS needs no override, so GANTRY_BLAS_TEST_FALLBACK=Prescott makes each
/// process first load the Prescott kernels, as on a CPU OpenBLAS does not recognise; Gantry
/// must then check and select the family the CPU supports, once. OPENBLAS_VERBOSE=2 makes
/// OpenBLAS print "Core: FAMILY" each time it loads (the self-check child's output is
/// discarded): the processes' own account of what they ran.
final class BLASKernelTests: XCTestCase {
    /// `gantry bench step --json` for a moment, with these variables: its report and output.
    private func bench(environment: [String: String], mpirun ranks: Int? = nil,
                       file: StaticString = #filePath, line: UInt = #line) throws -> (report: [String: Any], stderr: String) {
        let command = [GantryProcess.binary, "bench", "step", "--json", "--model", "mlp", "--steps", "2", "--warmup", "0"]
        let outcome = try GantryProcess.command(ranks.map { ["mpirun", "-np", String($0)] + command } ?? command,
                                                limit: 120, environment: environment)
        XCTAssertEqual(outcome.status, 0, outcome.output, file: file, line: line)
        let lines = outcome.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, outcome.output, file: file, line: line)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any],
                                   outcome.output, file: file, line: line)
        return (report, outcome.stderr)
    }

    private func blas(_ report: [String: Any]) throws -> [String: Any] {
        try XCTUnwrap((report["kernels"] as? [String: Any])?["blas"] as? [String: Any], "\(report)")
    }

    /// The families OpenBLAS loaded, in the order it printed them.
    private func loads(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").filter { $0.hasPrefix("Core: ") }.map { String($0.dropFirst(6)) }
    }

    /// Under mpirun each rank starts with the fallback, selects, and re-executes before
    /// MPI_Init (after it, MPI would fail the job): three loads per rank, no more.
    func testEveryRankSelectsOnceUnderMPIRun() throws {
        let (report, stderr) = try bench(environment: ["GANTRY_BLAS_TEST_FALLBACK": "Prescott", "OPENBLAS_VERBOSE": "2"],
                                         mpirun: 2)
        let cpu = try XCTUnwrap((report["kernels"] as? [String: Any])?["cpu"] as? [String: Any])
        try XCTSkipIf(cpu["isa"] as? String == "baseline", "no family is wider than Prescott on this CPU")
        let blas = try blas(report)
        XCTAssertEqual(blas["chosen_by"] as? String, "gantry", "\(blas)")
        XCTAssertEqual(blas["replaced"] as? String, "Prescott", "\(blas)")
        let selected = try XCTUnwrap(blas["kernels"] as? String)
        XCTAssertNotEqual(selected, "Prescott")
        let loaded = loads(stderr)
        XCTAssertEqual(loaded.filter { $0 == "Prescott" }.count, 2, stderr)
        XCTAssertEqual(loaded.count, 6, stderr)
        XCTAssertGreaterThanOrEqual(loaded.filter { $0 == selected }.count, 2, stderr)  // the ranks' last loads
    }

    /// OPENBLAS_CORETYPE is the user's, even over a test fallback; GANTRY_BLAS_AUTOSELECT=0
    /// keeps what was loaded.
    func testTheUserAndTheSwitchWin() throws {
        let user = try bench(environment: ["GANTRY_BLAS_TEST_FALLBACK": "Prescott", "OPENBLAS_CORETYPE": "Haswell",
                                           "OPENBLAS_VERBOSE": "2"])
        XCTAssertEqual(try blas(user.report)["kernels"] as? String, "Haswell")
        XCTAssertEqual(try blas(user.report)["chosen_by"] as? String, "OPENBLAS_CORETYPE")
        XCTAssertEqual(loads(user.stderr), ["Haswell"], user.stderr)

        let off = try bench(environment: ["GANTRY_BLAS_TEST_FALLBACK": "Prescott", "GANTRY_BLAS_AUTOSELECT": "0",
                                          "OPENBLAS_VERBOSE": "2"])
        XCTAssertEqual(try blas(off.report)["kernels"] as? String, "Prescott")
        XCTAssertEqual(loads(off.stderr).last, "Prescott", off.stderr)
        XCTAssertEqual(loads(off.stderr).count, 2, off.stderr)
    }

    /// A run records the BLAS and the CPU in config.json and names them in one start-up line.
    func testTrainRecordsTheKernels() throws {
        let run = try temporaryDirectory("kernels") + "/run"
        let outcome = try GantryProcess.command([GantryProcess.binary, "train", "--model", "mlp", "--data", "ring8",
                                                 "--steps", "2", "--out", run],
                                                limit: 120, environment: ["GANTRY_BLAS_TEST_FALLBACK": "Prescott"])
        XCTAssertEqual(outcome.status, 0, outcome.output)
        let startup = outcome.stdout.split(separator: "\n").filter { $0.hasPrefix("BLAS: ") }
        XCTAssertEqual(startup.count, 1, outcome.output)
        XCTAssertTrue(startup.first?.contains("selected by Gantry; OpenBLAS picked Prescott") ?? false, outcome.output)
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json")))
            as? [String: Any])
        let blas = try XCTUnwrap(config["blas"] as? [String: Any], "\(config)")
        XCTAssertEqual(blas["name"] as? String, "OpenBLAS")
        XCTAssertEqual(blas["chosen_by"] as? String, "gantry")
        XCTAssertFalse((blas["version"] as? String ?? "").isEmpty, "\(blas)")
        XCTAssertTrue(startup.first?.contains("\(blas["kernels"] as? String ?? "?") kernels") ?? false, "\(blas)\n\(startup)")
        let cpu = try XCTUnwrap(config["cpu"] as? [String: Any], "\(config)")
        XCTAssertFalse((cpu["model"] as? String ?? "").isEmpty, "\(cpu)")
        XCTAssertNotNil(cpu["isa"] as? String, "\(cpu)")
    }

    /// The self-check as a user can run it: 0 when the family loaded and agrees, 3 when
    /// OpenBLAS loaded another.
    func testBLASCheck() throws {
        let haswell = try GantryProcess.command([GantryProcess.binary, "blas-check", "Haswell"],
                                                environment: ["OPENBLAS_CORETYPE": "Haswell"])
        XCTAssertEqual(haswell.status, 0, haswell.output)
        XCTAssertTrue(haswell.stdout.contains("Haswell kernels: sgemm agrees with the reference"), haswell.output)
        let other = try GantryProcess.command([GantryProcess.binary, "blas-check", "Haswell"],
                                              environment: ["OPENBLAS_CORETYPE": "Prescott"])
        XCTAssertEqual(other.status, 3, other.output)
        XCTAssertTrue(other.stdout.contains("loaded its Prescott kernels, not Haswell"), other.output)
    }
}
