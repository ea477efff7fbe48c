import FoundationEssentials
import Glibc
import GantryNN

/// Makes OpenBLAS run the widest kernels this CPU supports when its own detection fell back
/// to narrower ones (KernelChoice says when), at the very start of `gantry`, before MPI_Init.
///
/// OpenBLAS reads OPENBLAS_CORETYPE only when the library loads, so Gantry re-executes itself
/// (execv of its own binary, same arguments, same process id: mpirun still knows the rank)
/// with the variable set, once: GANTRY_BLAS_REPLACED, set at that moment, stops any further
/// round. A family Gantry selects must first prove itself in a child process
/// (`gantry blas-check FAMILY`, SGEMMSelfCheck): a wrong result or a crash there keeps
/// OpenBLAS's own choice, with one warning. docs/performance.md#kernel-selection.
public enum KernelSelection {
    /// Set by Gantry's re-execution to the family OpenBLAS had picked; its presence means the
    /// kernels are Gantry's choice, and that there is no further round.
    static let replacedVariable = "GANTRY_BLAS_REPLACED"
    /// GANTRY_BLAS_AUTOSELECT=0 turns the selection off.
    static let autoselectVariable = "GANTRY_BLAS_AUTOSELECT"
    /// Test only: GANTRY_BLAS_TEST_FALLBACK=Prescott makes a gantry process first re-execute
    /// itself with OPENBLAS_CORETYPE=Prescott, as if OpenBLAS had not recognised the CPU, so
    /// that the selection runs for real on a machine that needs none. Set it for a whole
    /// test run to put every gantry process of it in that mode.
    static let testFallbackVariable = "GANTRY_BLAS_TEST_FALLBACK"
    /// Set by that first re-execution: OPENBLAS_CORETYPE is then the test's, not the user's.
    static let testFallbackStartedVariable = "GANTRY_BLAS_TEST_FALLBACK_STARTED"

    /// What the start of a process does next.
    enum Step: Equatable {
        /// Go on with the kernels loaded.
        case proceed
        /// Re-execute at once with these variables set (the test fallback).
        case reexecute([String: String])
        /// Check these families, best first, and re-execute with the first that passes.
        case select([String])
    }

    /// The next step of a process started with `environment`, on `cpu`, with the family
    /// `loaded` that OpenBLAS loaded. Throws a usage error for a bad variable.
    static func step(environment: [String: String], cpu: CPUFeatures, loaded: String) throws -> Step {
        guard environment[replacedVariable] == nil else { return .proceed }
        let userCoreType = environment["OPENBLAS_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 }
        let testStarted = environment[testFallbackStartedVariable] != nil
        if let fallback = environment[testFallbackVariable], !fallback.isEmpty, !testStarted, userCoreType == nil {
            guard BLAS.vectorISA(ofKernels: fallback) != nil else {
                throw GantryError.usage("\(testFallbackVariable)=\(fallback) is not a family of kernels Gantry knows (e.g. Prescott, Haswell)")
            }
            return .reexecute(["OPENBLAS_CORETYPE": fallback, testFallbackStartedVariable: "1"])
        }
        let choice = KernelChoice.decide(cpu: cpu, loaded: loaded, userCoreType: testStarted ? nil : userCoreType,
                                         autoselect: try autoselect(environment))
        if case .override(let families) = choice { return .select(families) }
        return .proceed
    }

    /// GANTRY_BLAS_AUTOSELECT: on unless 0.
    static func autoselect(_ environment: [String: String]) throws -> Bool {
        switch environment[autoselectVariable] ?? "" {
        case "", "1": return true
        case "0": return false
        case let other: throw GantryError.usage("\(autoselectVariable) takes 0 (off) or 1 (on), not '\(other)'")
        }
    }

    /// Runs the selection; returns only when this process goes on as it is (after a warning,
    /// through `warn`, if a selected family failed its check).
    public static func applyAtStart(warn: (String) -> Void) throws {
        let environment = ProcessInfo.processInfo.environment
        let loaded = BLAS.kernels
        switch try step(environment: environment, cpu: .current, loaded: loaded) {
        case .proceed:
            return
        case .reexecute(let variables):
            reexecute(with: variables, warn: warn)
        case .select(let families):
            for family in families {
                switch check(family) {
                case .passed:
                    reexecute(with: ["OPENBLAS_CORETYPE": family, replacedVariable: loaded], warn: warn)
                    return
                case .otherKernelsLoaded:
                    continue  // this build does not know the family: try the next
                case .failed(let why):
                    warn("OpenBLAS picked its \(loaded) kernels, narrower than this CPU supports, but the \(family) kernels "
                         + "failed Gantry's sgemm self-check (\(why)); keeping \(loaded). Run `gantry blas-check \(family)` "
                         + "for details; set OPENBLAS_CORETYPE to choose, or \(autoselectVariable)=0 to silence this")
                    return
                }
            }
            warn("OpenBLAS picked its \(loaded) kernels, narrower than this CPU supports, and this build knows none of "
                 + "\(families.joined(separator: ", ")); sgemm will be slow: install a newer OpenBLAS")
        }
    }

    /// execv of this binary with the same arguments and these variables added; returns only
    /// if that fails (then with a warning). It executes the binary's own path, which
    /// /proc/self/exe links to, not the link: the process's name (/proc/PID/comm) is taken from
    /// the path executed, and the launchers find the ranks to stop by the name "gantry".
    static func reexecute(with variables: [String: String], warn: (String) -> Void) {
        let binary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "/proc/self/exe"
        for (name, value) in variables { setenv(name, value, 1) }
        fflush(stdout)
        fflush(stderr)
        execv(binary, CommandLine.unsafeArgv)
        let reason = String(cString: strerror(errno))
        for name in variables.keys { unsetenv(name) }
        warn("cannot re-execute \(binary) to load other BLAS kernels (\(reason)); keeping \(BLAS.kernels)")
    }

    // MARK: - The self-check in a child process

    /// How `gantry blas-check` exits.
    public enum CheckStatus: Int32 {
        case passed = 0
        case wrongResults = 2
        case otherKernelsLoaded = 3
    }

    enum CheckOutcome: Equatable {
        case passed
        case otherKernelsLoaded
        case failed(String)
    }

    /// `gantry blas-check FAMILY` with OPENBLAS_CORETYPE=FAMILY, its output discarded.
    static func check(_ family: String) -> CheckOutcome {
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = family
        let outcome = ChildProcess.run("/proc/self/exe", arguments: ["gantry", "blas-check", family], environment: environment)
        return interpret(outcome)
    }

    static func interpret(_ outcome: ChildProcess.Outcome) -> CheckOutcome {
        switch outcome {
        case .exited(CheckStatus.passed.rawValue): return .passed
        case .exited(CheckStatus.otherKernelsLoaded.rawValue): return .otherKernelsLoaded
        case .exited(CheckStatus.wrongResults.rawValue): return .failed("sgemm results differ from the reference")
        case .exited(let status): return .failed("the check exited with status \(status)")
        case .signalled(let signal): return .failed("the check crashed on signal \(signal) (\(String(cString: strsignal(signal))))")
        case .notStarted(let reason): return .failed("the check could not start: \(reason)")
        }
    }

    // MARK: - How the kernels in use were chosen

    /// "gantry" (selected here; `replaced` names OpenBLAS's pick), "OPENBLAS_CORETYPE" (the
    /// user's), GANTRY_BLAS_TEST_FALLBACK's name (a test's stand-in that nothing replaced),
    /// or "openblas" (its own detection).
    public static func chosenBy(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> (by: String, replaced: String?) {
        if let replaced = environment[replacedVariable] { return ("gantry", replaced) }
        if environment[testFallbackStartedVariable] != nil { return (testFallbackVariable, nil) }
        if let user = environment["OPENBLAS_CORETYPE"], !user.isEmpty { return ("OPENBLAS_CORETYPE", nil) }
        return ("openblas", nil)
    }
}
