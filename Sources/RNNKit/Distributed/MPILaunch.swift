import Foundation

/// Whether this process was started by an MPI launcher, read from the variables launchers set:
/// Open MPI's `mpirun` (`OMPI_COMM_WORLD_SIZE`), MPICH's Hydra and Slurm's PMI-2 (`PMI_SIZE`),
/// PMIx launchers such as `srun --mpi=pmix` and Open MPI 5 (`PMIX_RANK`), and a Slurm step of
/// more than one task (`SLURM_NTASKS`). A single `srun` task with no PMI is an ordinary process:
/// Slurm sets `SLURM_PROCID` in every job.
package struct MPILaunch: Equatable, Sendable {
    /// The variable that revealed the launcher, e.g. "OMPI_COMM_WORLD_SIZE=2".
    package let evidence: String

    /// The launch the environment describes, or nil for a process started without a launcher.
    package static func detect(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> MPILaunch? {
        for name in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"] {
            if let value = environment[name] { return MPILaunch(evidence: "\(name)=\(value)") }
        }
        if let tasks = environment["SLURM_NTASKS"], let n = Int(tasks), n > 1 {
            return MPILaunch(evidence: "SLURM_NTASKS=\(tasks)")
        }
        return nil
    }
}
