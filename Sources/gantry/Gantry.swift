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
        subcommands: [Train.self, Sample.self, Eval.self, Export.self, Inspect.self, Report.self, Bench.self, Prepare.self,
                      BLASCheck.self])

    /// Like ParsableCommand.main, but every error is reported here, as one `gantry: error:`
    /// line (under mpirun only by rank 0, not once per rank): a parse or validation error
    /// with the usage hint and exit code 64, a command's GantryError with its own code.
    /// Commands throw; errors inside an MPI job are reported by Job.
    static func main() {
        do {
            if usesBLAS(CommandLine.arguments) {
                // Before anything else, MPI_Init above all: this may re-execute the process.
                try KernelSelection.applyAtStart(warn: { if launcherRank == 0 { Job.warn($0) } })
            }
            var command = try parseAsRoot(expandingPreset(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if !(error is GantryError) && (code == .success || code == .failure && message(for: error).isEmpty) {
                exit(withError: error)  // --help, --version, or an ExitCode already reported
            }
            let reported = error as? GantryError
                ?? GantryError(message(for: error), kind: code == .validationFailure ? .usage : .failure)
            if launcherRank == 0 { Job.report(reported, rank: nil) }
            Glibc.exit(error is GantryError ? reported.exitCode : code.rawValue)
        }
    }

    /// Whether a command line runs a subcommand that computes with the BLAS, and so gets the
    /// kernels KernelSelection picks.
    static func usesBLAS(_ arguments: [String]) -> Bool {
        let words = Array(arguments.dropFirst())
        return ["train", "sample", "eval"].contains(words.first ?? "") || words.starts(with: ["bench", "step"])
    }

    /// The command line with a --preset's flags spelled out, for the subcommands that take the
    /// training options (`train`, `bench step`); the others' arguments unchanged.
    static func expandingPreset(_ arguments: [String]) -> [String] {
        arguments.first == "train" || arguments.starts(with: ["bench", "step"])
            ? TrainingOptions.expandingPreset(arguments) : arguments
    }

    /// This process's rank as the launcher (mpirun, srun) announces it, before MPI starts.
    static var launcherRank: Int {
        for name in ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID"] {
            if let value = getenv(name), let rank = Int(String(cString: value)) { return rank }
        }
        return 0
    }
}
