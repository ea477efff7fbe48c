import Glibc

/// How many processes the launcher says it started, read from its environment before MPI
/// starts (MPI's own start may add variables). A launcher that does not give MPI its world
/// (srun without PMI support, torchrun, a script starting copies) leaves every process
/// believing it is alone: each would train the whole run by itself and write to the same
/// --out. Comparing the launcher's count with MPI's size catches that before anything is
/// written.
public struct LauncherWorldSize {
    /// The variable that gave the count, and its value.
    public let variable: String
    public let value: Int

    /// Consulted in this order, and only the first one present counts: the launcher nearest
    /// to MPI first, so that a variable inherited from an outer launcher (an sbatch step's
    /// SLURM_STEP_NUM_TASKS around mpirun, a stray WORLD_SIZE) does not overrule it.
    /// OpenMPI's mpirun sets OMPI_COMM_WORLD_SIZE; MPICH's hydra and srun --mpi=pmi2 set
    /// PMI_SIZE; srun sets SLURM_STEP_NUM_TASKS; torchrun sets WORLD_SIZE. (PMIx publishes
    /// no size variable: srun --mpi=pmix also sets SLURM_STEP_NUM_TASKS.)
    static let variables = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS", "WORLD_SIZE"]

    /// The launcher's count in `environment`, or nil when no launcher announced one.
    public init?(environment: [String: String]) {
        for variable in Self.variables {
            guard let text = environment[variable], let value = Int(text), value > 0 else { continue }
            self.variable = variable
            self.value = value
            return
        }
        return nil
    }

    /// The launcher's count in this process's environment.
    public static func current() -> LauncherWorldSize? {
        var environment: [String: String] = [:]
        for variable in variables {
            if let value = getenv(variable) { environment[variable] = String(cString: value) }
        }
        return LauncherWorldSize(environment: environment)
    }

    /// Throws when the launcher started more processes than MPI's world holds.
    public func check(mpiSize: Int) throws {
        guard value > mpiSize else { return }
        throw GantryError("the launcher's \(variable)=\(value) says \(value) processes, but MPI gives this one a world of \(mpiSize): "
                          + "each would train alone; start gantry with mpirun, or srun --mpi=pmix (docs/reliability.md)")
    }
}
