import XCTest
@testable import GantryNN
@testable import GantryTrain

/// The start of a gantry process (KernelSelection): which step each environment leads to, that
/// the steps end, and how a check's exit is read.
final class KernelSelectionTests: XCTestCase {
    let zen4 = CPUFeatures(flags: [.avx, .fma, .avx2, .avx512f, .avx512bw, .avx512dq, .avx512vl, .avx512bf16],
                           registerState: .avx512)
    let wider = ["Cooperlake", "SkylakeX", "Haswell", "Sandybridge"]

    func testSelectionWhenOpenBLASFellBack() throws {
        XCTAssertEqual(try KernelSelection.step(environment: [:], cpu: zen4, loaded: "Prescott"), .select(wider))
        XCTAssertEqual(try KernelSelection.step(environment: [:], cpu: zen4, loaded: "Cooperlake"), .proceed)
        XCTAssertEqual(try KernelSelection.step(environment: ["OPENBLAS_CORETYPE": "Prescott"], cpu: zen4, loaded: "Prescott"),
                       .proceed)
        XCTAssertEqual(try KernelSelection.step(environment: ["GANTRY_BLAS_AUTOSELECT": "0"], cpu: zen4, loaded: "Prescott"),
                       .proceed)
        XCTAssertEqual(try KernelSelection.step(environment: ["GANTRY_BLAS_AUTOSELECT": "1"], cpu: zen4, loaded: "Prescott"),
                       .select(wider))
    }

    /// Following the steps as the process would, by applying each re-execution's variables:
    /// the test fallback, then the selection, then nothing more (no loop), whatever the
    /// kernels then loaded are.
    func testTheStepsEndAfterOneSelection() throws {
        var environment = ["GANTRY_BLAS_TEST_FALLBACK": "Prescott"]
        var loaded = "Cooperlake"
        var steps: [KernelSelection.Step] = []
        for _ in 0..<5 {
            let step = try KernelSelection.step(environment: environment, cpu: zen4, loaded: loaded)
            steps.append(step)
            switch step {
            case .proceed: break
            case .reexecute(let variables):
                environment.merge(variables) { $1 }
                loaded = variables["OPENBLAS_CORETYPE"]!
                continue
            case .select(let families):
                // As applyAtStart does after the first family passed its check.
                environment.merge(["OPENBLAS_CORETYPE": families[0], "GANTRY_BLAS_REPLACED": loaded]) { $1 }
                loaded = "Prescott"  // even if the new process still reported a fallback
                continue
            }
            break
        }
        XCTAssertEqual(steps, [.reexecute(["OPENBLAS_CORETYPE": "Prescott", "GANTRY_BLAS_TEST_FALLBACK_STARTED": "1"]),
                               .select(wider), .proceed])
        XCTAssertEqual(KernelSelection.chosenBy(environment).by, "gantry")
        XCTAssertEqual(KernelSelection.chosenBy(environment).replaced, "Prescott")
    }

    func testTheTestFallbackYieldsToTheUser() throws {
        let user = ["GANTRY_BLAS_TEST_FALLBACK": "Prescott", "OPENBLAS_CORETYPE": "Haswell"]
        XCTAssertEqual(try KernelSelection.step(environment: user, cpu: zen4, loaded: "Haswell"), .proceed)
        XCTAssertEqual(KernelSelection.chosenBy(user).by, "OPENBLAS_CORETYPE")
        // With the selection off, the fallback stays, and says who set it.
        let off = ["GANTRY_BLAS_TEST_FALLBACK": "Prescott", "GANTRY_BLAS_TEST_FALLBACK_STARTED": "1",
                   "OPENBLAS_CORETYPE": "Prescott", "GANTRY_BLAS_AUTOSELECT": "0"]
        XCTAssertEqual(try KernelSelection.step(environment: off, cpu: zen4, loaded: "Prescott"), .proceed)
        XCTAssertEqual(KernelSelection.chosenBy(off).by, "GANTRY_BLAS_TEST_FALLBACK")
        XCTAssertEqual(KernelSelection.chosenBy([:]).by, "openblas")
    }

    func testBadVariablesAreUsageErrors() {
        for (environment, mention) in [(["GANTRY_BLAS_AUTOSELECT": "yes"], "GANTRY_BLAS_AUTOSELECT"),
                                       (["GANTRY_BLAS_TEST_FALLBACK": "Pentium"], "GANTRY_BLAS_TEST_FALLBACK=Pentium")] {
            XCTAssertThrowsError(try KernelSelection.step(environment: environment, cpu: zen4, loaded: "Prescott")) { error in
                XCTAssertEqual((error as? GantryError)?.kind, .usage)
                XCTAssertTrue("\(error)".contains(mention), "\(error)")
            }
        }
    }

    /// Real child processes: an exit status, a crash, a program that is not there.
    func testChildOutcomes() {
        XCTAssertEqual(ChildProcess.run("/bin/sh", arguments: ["sh", "-c", "exit 3"], environment: [:]), .exited(3))
        XCTAssertEqual(ChildProcess.run("/bin/sh", arguments: ["sh", "-c", "kill -SEGV $$"], environment: [:]), .signalled(SIGSEGV))
        XCTAssertEqual(ChildProcess.run("/bin/sh", arguments: ["sh", "-c", "test \"$X\" = 1"], environment: ["X": "1"]), .exited(0))
        if case .notStarted = ChildProcess.run("/nonexistent/gantry", arguments: ["gantry"], environment: [:]) {} else {
            XCTFail("a missing program must not count as started")
        }
    }

    func testCheckOutcomesKeepOpenBLASsChoiceOnAnyFailure() {
        XCTAssertEqual(KernelSelection.interpret(.exited(0)), .passed)
        XCTAssertEqual(KernelSelection.interpret(.exited(3)), .otherKernelsLoaded)
        for outcome: ChildProcess.Outcome in [.exited(2), .exited(1), .signalled(SIGILL), .signalled(SIGSEGV), .notStarted("ENOENT")] {
            guard case .failed(let why) = KernelSelection.interpret(outcome) else { return XCTFail("\(outcome) passed") }
            XCTAssertFalse(why.isEmpty)
        }
    }
}
