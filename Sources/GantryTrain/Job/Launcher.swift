import FoundationEssentials
import GantryData

/// What started this job, as far as a rank can tell from its environment: a Gantry launch
/// script (launch/local.sh, launch/cluster.sh name themselves in GANTRY_LAUNCHER), plain
/// mpirun (which gives its ranks OMPI_MCA_orte_hnp_uri, its own address), srun, or nothing.
/// Rank 0 uses it to print the command that continues a stopped run, and to warn when mpirun
/// would kill the ranks before they save.
public struct Launcher {
    /// GANTRY_LAUNCHER: the launch script and its options, up to the gantry flags.
    let script: String?
    let underMPIRun: Bool
    let underSrun: Bool
    /// OMPI_MCA_odls_base_sigkill_timeout, as mpirun passes its `--mca` parameters on.
    let killTimeoutSetting: String?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        script = environment["GANTRY_LAUNCHER"].flatMap { $0.isEmpty ? nil : $0 }
        underMPIRun = environment["OMPI_MCA_orte_hnp_uri"] != nil
        underSrun = !underMPIRun && environment["SLURM_STEP_ID"] != nil
        killTimeoutSetting = environment["OMPI_MCA_odls_base_sigkill_timeout"]
    }

    /// The command that continues the run in `runDirectory` with the same launcher and
    /// number of ranks, with absolute paths (neither `gantry` nor the scripts are on the PATH).
    public func resumeCommand(runDirectory: String, worldSize: Int) -> String {
        let out = "--out \(shellWord(absolutePath(runDirectory))) --resume auto"
        if let script { return "\(script) \(out)" }
        let binary = shellWord(Self.executablePath)
        if underSrun { return "srun -n \(worldSize) \(binary) train \(out)" }
        if underMPIRun || worldSize > 1 { return "mpirun -np \(worldSize) \(binary) train \(out)" }
        return "\(binary) train \(out)"
    }

    /// mpirun's grace between passing SIGTERM on and SIGKILL, in seconds; nil when no mpirun
    /// stands between a stop request and the ranks (a launch script signals them directly).
    /// OpenMPI 4.1's default is 1 s (docs/reliability.md).
    public var killTimeout: Double? {
        guard underMPIRun, script == nil else { return nil }
        return killTimeoutSetting.flatMap(Double.init) ?? 1
    }

    /// The warning for a kill timeout shorter than `stepAndCheckpoint` seconds, or nil.
    public func killTimeoutWarning(stepAndCheckpoint: Double) -> String? {
        guard let killTimeout, killTimeout < stepAndCheckpoint else { return nil }
        return "mpirun's kill timeout (odls_base_sigkill_timeout) is \(formatSeconds(killTimeout)), shorter than a step plus a "
            + "checkpoint here (about \(formatSeconds(stepAndCheckpoint))): a SIGTERM or Ctrl-C to mpirun would kill the ranks "
            + "before they save; pass `--mca odls_base_sigkill_timeout 60` to mpirun, or start the run with launch/local.sh "
            + "(docs/reliability.md)"
    }

    /// This binary as it was started (made absolute), else as the kernel knows it.
    static var executablePath: String {
        let started = CommandLine.arguments[0]
        if started.contains("/") { return absolutePath(started) }
        return (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? started
    }
}

private func absolutePath(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}

private func formatSeconds(_ seconds: Double) -> String {
    fixed(seconds, seconds < 10 ? 1 : 0) + " s"
}

/// `word` as one shell word: unchanged when it needs no quoting.
private func shellWord(_ word: String) -> String {
    let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "_./,:=+@%-".contains($0) }
    return plain && !word.isEmpty ? word : "'" + word.replacing("'", with: "'\\''") + "'"
}
