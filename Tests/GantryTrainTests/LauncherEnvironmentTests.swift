import XCTest
@testable import GantryTrain

/// What rank 0 learns from its environment about the launcher: the command that continues a
/// stopped run, and mpirun's kill timeout.
final class LauncherEnvironmentTests: XCTestCase {
    let mpirun = ["OMPI_MCA_orte_hnp_uri": "1.0;tcp://10.0.0.1:4000", "OMPI_COMM_WORLD_SIZE": "2"]

    func testResumeCommandNamesTheLauncher() {
        let script = Launcher(environment: mpirun.merging(["GANTRY_LAUNCHER": "/g/launch/local.sh -n 2"]) { $1 })
        XCTAssertEqual(script.resumeCommand(runDirectory: "/runs/a b", worldSize: 2),
                       "/g/launch/local.sh -n 2 --out '/runs/a b' --resume auto")
        let plain = Launcher(environment: mpirun).resumeCommand(runDirectory: "runs/a", worldSize: 2)
        XCTAssertTrue(plain.hasPrefix("mpirun -np 2 /"), plain)
        XCTAssertTrue(plain.hasSuffix(" train --out \(FileManager.default.currentDirectoryPath)/runs/a --resume auto"), plain)
        let srun = Launcher(environment: ["SLURM_STEP_ID": "0"]).resumeCommand(runDirectory: "/r", worldSize: 4)
        XCTAssertTrue(srun.hasPrefix("srun -n 4 /") && srun.hasSuffix(" train --out /r --resume auto"), srun)
        let alone = Launcher(environment: [:]).resumeCommand(runDirectory: "/r", worldSize: 1)
        XCTAssertTrue(alone.hasPrefix("/") && alone.hasSuffix(" train --out /r --resume auto"), alone)
    }

    func testKillTimeoutOnlyUnderPlainMPIRun() {
        XCTAssertEqual(Launcher(environment: mpirun).killTimeout, 1)
        let long = Launcher(environment: mpirun.merging(["OMPI_MCA_odls_base_sigkill_timeout": "60"]) { $1 })
        XCTAssertEqual(long.killTimeout, 60)
        XCTAssertNil(long.killTimeoutWarning(stepAndCheckpoint: 2.5))
        XCTAssertNotNil(Launcher(environment: mpirun).killTimeoutWarning(stepAndCheckpoint: 2.5))
        XCTAssertNil(Launcher(environment: mpirun.merging(["GANTRY_LAUNCHER": "/g/launch/local.sh -n 2"]) { $1 }).killTimeout)
        XCTAssertNil(Launcher(environment: ["SLURM_STEP_ID": "0", "OMPI_COMM_WORLD_SIZE": "2"]).killTimeout)
    }
}
