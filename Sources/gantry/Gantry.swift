import ArgumentParser
import Glibc
import GantryTrain

@main
struct Gantry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gantry",
        abstract: "Data-parallel GAN training over MPI.",
        discussion: """
        Run `gantry train` under mpirun (or srun) to train on several ranks; each rank trains a \
        replica on its slice of every global batch. launch/local.sh starts a run on this machine.
        """,
        version: GantryVersion.current,
        subcommands: [Train.self, Sample.self, Eval.self, Inspect.self, Bench.self])

    /// Like ParsableCommand.main, but a bad flag is reported as one `gantry: error:` line,
    /// and under mpirun only by rank 0, not once per rank.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success || code == .failure && message(for: error).isEmpty {
                exit(withError: error)  // --help, --version, or an ExitCode already reported
            }
            if launcherRank == 0 {
                fputs("gantry: error: \(message(for: error))\n", stderr)
                fputs("(see gantry --help, or gantry SUBCOMMAND --help)\n", stderr)
            }
            Glibc.exit(code.rawValue)
        }
    }

    /// This process's rank as the launcher (mpirun, srun) announces it, before MPI starts.
    static var launcherRank: Int {
        for name in ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID"] {
            if let value = getenv(name), let rank = Int(String(cString: value)) { return rank }
        }
        return 0
    }
}
