import XCTest
import Foundation

/// A process whose launcher counts more processes than MPI gives it (srun without PMI,
/// torchrun) refuses to train before it writes anything.
final class WorldSizeCheckTests: XCTestCase {
    func testALoneProcessOfALargerLaunchRefusesAndWritesNothing() throws {
        let root = try temporaryDirectory("worldsize")
        defer { try? FileManager.default.removeItem(atPath: root) }
        for variable in ["OMPI_COMM_WORLD_SIZE", "SLURM_STEP_NUM_TASKS", "WORLD_SIZE"] {
            let run = "\(root)/\(variable)"
            let outcome = try GantryProcess.command([GantryProcess.binary, "train", "--model", "mlp", "--data", "ring8",
                                                     "--steps", "1", "--out", run], environment: [variable: "2"])
            XCTAssertEqual(outcome.status, 1, outcome.output)
            XCTAssertEqual(outcome.errorLines.count, 1, outcome.output)
            XCTAssertTrue(outcome.errorLines.first?.contains("\(variable)=2") ?? false, outcome.output)
            XCTAssertTrue(outcome.errorLines.first?.contains("a world of 1") ?? false, outcome.output)
            XCTAssertFalse(FileManager.default.fileExists(atPath: run), "\(variable): the run directory was created")
        }
        // The same process told the truth trains.
        let alone = try GantryProcess.command([GantryProcess.binary, "train", "--model", "mlp", "--data", "ring8",
                                               "--steps", "1", "--out", root + "/alone"], environment: ["WORLD_SIZE": "1"])
        XCTAssertEqual(alone.status, 0, alone.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/alone/config.json"), alone.output)
    }
}
