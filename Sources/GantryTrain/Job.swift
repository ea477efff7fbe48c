import Glibc
import GantryMPI

/// Gantry's error policy for an MPI job: one clear error line, a non-zero exit, and no rank
/// left waiting in a collective.
///
/// - Setup errors (bad flags, a missing dataset, an unwritable `--out`) are found before any
///   training collective. The ranks agree on them with one allreduce, the lowest failing rank
///   prints its message, and every rank leaves with exit code 1.
/// - Errors during training (a failed write, drifted replicas, a failed collective) happen on
///   one rank while the others may already wait in the next allreduce, so that rank prints
///   its message and aborts the whole job.
///
/// So `setup` must not call any collective operation: a rank that fails early would wait in
/// the agreement allreduce while the others wait in that collective.
public enum Job {
    public static func run<Context>(setup: (Communicator) throws -> Context,
                                    work: (Context, Communicator) throws -> Void) -> Never {
        let communicator: Communicator
        do {
            communicator = try Communicator.initialize()
        } catch {
            report(error, rank: nil)
            exit(1)
        }
        let outcome = Result { try setup(communicator) }

        // Agree: the lowest failing rank, or `size` when every rank succeeded.
        var firstFailure = communicator.size
        do {
            let mine = outcome.isFailure ? communicator.rank : communicator.size
            firstFailure = Int(try communicator.allreduce([Double(mine)], op: .min)[0])
        } catch {
            report(error, rank: communicator.rank)
            communicator.abort(code: 1)
        }
        if firstFailure < communicator.size {
            if case .failure(let error) = outcome, communicator.rank == firstFailure {
                report(error, rank: communicator.rank == 0 ? nil : communicator.rank)
            }
            communicator.finalize()
            exit(1)
        }

        do {
            try work(try outcome.get(), communicator)
        } catch {
            report(error, rank: communicator.size > 1 ? communicator.rank : nil)
            communicator.abort(code: 1)
        }
        communicator.finalize()
        exit(0)
    }

    /// Prints `gantry: error: …` (with the rank when it matters) to standard error.
    public static func report(_ error: Error, rank: Int?) {
        let prefix = rank.map { "gantry: error: rank \($0): " } ?? "gantry: error: "
        fputs(prefix + String(describing: error) + "\n", stderr)
        fflush(stderr)
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
