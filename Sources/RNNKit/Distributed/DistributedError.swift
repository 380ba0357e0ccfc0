/// What stops a data-parallel run. `everyRank` errors are found by every rank at the same point,
/// so each can report it and leave in order; the others are one rank's alone, and the job must be
/// aborted so that the other ranks do not wait for it forever.
package enum DistributedError: Error, CustomStringConvertible, Equatable {
    /// Started by an MPI launcher, but no MPI library loads: each candidate and why it failed.
    case noLibrary(tried: [String])
    /// Started by a launcher, but `MPI_Init` failed (its error code).
    case initFailed(code: Int32)
    /// More ranks than items in a global batch: some rank would have nothing to train on.
    case moreRanksThanBatch(ranks: Int, batchSize: Int, unit: String)
    /// The ranks were given different data, options or checkpoints: the ranks that differ from
    /// rank 0.
    case ranksDisagree(differing: Int, ranks: Int)
    /// A run that cannot be split across ranks (the reason).
    case notDistributable(String)
    /// After training, the ranks' weights are not the same (the ranks that differ from rank 0):
    /// the ranks computed differently (other hardware or libraries), and rank 0's model is not
    /// the one every rank trained.
    case weightsDiverged(differing: Int, ranks: Int)

    package var everyRank: Bool {
        switch self {
        case .noLibrary, .initFailed: false
        case .moreRanksThanBatch, .ranksDisagree, .notDistributable, .weightsDiverged: true
        }
    }

    package var description: String {
        switch self {
        case .noLibrary(let tried):
            "this process was started by an MPI launcher, but no MPI library could be loaded (tried "
                + tried.joined(separator: "; ")
                + "). Install one (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi3, or mpich libmpich12) "
                + "or name the library with RNNKIT_MPI_LIBRARY=/path/to/libmpi.so."
        case .initFailed(let code):
            "MPI_Init failed with error code \(code)."
        case .moreRanksThanBatch(let ranks, let batchSize, let unit):
            "\(ranks) ranks cannot share a global batch of \(batchSize) \(unit): every rank needs at least one. "
                + "Start at most \(batchSize) ranks, or make the batch larger."
        case .ranksDisagree(let differing, let ranks):
            "\(differing) of the \(ranks) ranks see other training data, options, thread counts or checkpoints than rank 0 "
                + "(their start-up fingerprints differ); every rank must be given the same files and options."
        case .notDistributable(let reason):
            reason
        case .weightsDiverged(let differing, let ranks):
            "after training, \(differing) of the \(ranks) ranks hold other weights than rank 0: the ranks did not compute "
                + "the same steps (different CPUs, BLAS or MPI builds?). Train on identical machines and libraries."
        }
    }
}
