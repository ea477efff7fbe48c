import XCTest
@testable import GantryTrain

/// The launcher's count of processes, read from its environment, against MPI's size.
final class LauncherWorldSizeCheckTests: XCTestCase {
    func count(_ environment: [String: String]) -> String? {
        LauncherWorldSize(environment: environment).map { "\($0.variable)=\($0.value)" }
    }

    func testTheLauncherNearestMPICounts() {
        XCTAssertNil(count([:]))
        XCTAssertNil(count(["WORLD_SIZE": "many"]), "not a number: no count")
        XCTAssertEqual(count(["WORLD_SIZE": "4"]), "WORLD_SIZE=4")
        // mpirun inside an sbatch step of 8 tasks, in a shell with a stray WORLD_SIZE.
        XCTAssertEqual(count(["SLURM_STEP_NUM_TASKS": "8", "WORLD_SIZE": "3", "OMPI_COMM_WORLD_SIZE": "2"]), "OMPI_COMM_WORLD_SIZE=2")
        XCTAssertEqual(count(["SLURM_STEP_NUM_TASKS": "8", "PMI_SIZE": "8"]), "PMI_SIZE=8")
    }

    func testMoreProcessesThanMPIsWorldAreRefused() throws {
        let srun = try XCTUnwrap(LauncherWorldSize(environment: ["SLURM_STEP_NUM_TASKS": "4"]))
        XCTAssertNoThrow(try srun.check(mpiSize: 4))
        XCTAssertNoThrow(try srun.check(mpiSize: 8), "fewer than MPI's world: not a lone process")
        XCTAssertThrowsError(try srun.check(mpiSize: 1)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("SLURM_STEP_NUM_TASKS=4") && message.contains("a world of 1"), message)
            XCTAssertEqual((error as? GantryError)?.exitCode, 1)
        }
    }
}
