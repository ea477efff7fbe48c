import Glibc
import GantryMPI

/// Gantry's error policy for an MPI job: one clear error line, a non-zero exit, and no rank
/// left waiting in a collective.
///
/// - First, a launcher that started more processes than MPI's world holds (srun without
///   PMI, torchrun) is refused by every process before anything is written
///   (`LauncherWorldSize`).
/// - Setup runs in stages (`agree`): every rank runs a stage, which must not call any
///   collective operation, then the ranks agree on its outcome with one allreduce. If a rank
///   failed, the lowest failing rank prints its message and every rank exits with that
///   error's code (64 for a usage error, else 1).
/// - Errors after setup happen on one rank while the others may already wait in the next
///   allreduce, so that rank prints its message and aborts the whole job. An agreed
///   GantryError is known to every rank: rank 0 prints it and all exit 1 without an abort.
///   A rank that makes no progress at all is noticed by its `StallWatchdog`, which aborts.
public enum Job {
    public static func run(_ body: (Communicator) throws -> Void) -> Never {
        let launched = LauncherWorldSize.current()  // before MPI adds its own variables
        let communicator: Communicator
        do {
            communicator = try Communicator.initialize()
        } catch {
            report(error, rank: nil)
            exit(1)
        }
        agree(communicator) { try launched?.check(mpiSize: communicator.size) }
        do {
            try body(communicator)
        } catch let failure as GantryError where failure.kind == .agreed {
            if communicator.isRoot { report(failure, rank: nil) }
            communicator.finalize()
            exit(failure.exitCode)
        } catch {
            report(error, rank: communicator.size > 1 ? communicator.rank : nil)
            communicator.abort(code: 1)
        }
        communicator.finalize()
        exit(0)
    }

    /// Runs one setup stage on every rank and returns its value once all ranks succeeded.
    public static func agree<Value>(_ communicator: Communicator, _ stage: () throws -> Value) -> Value {
        let outcome = Result { try stage() }
        // Each rank offers rank·256 + its exit code if it failed, size·256 if not: the
        // minimum names the lowest failing rank and the code every rank exits with.
        let none = communicator.size * 256
        var first = none
        do {
            let mine = outcome.failure.map { communicator.rank * 256 + Int(exitCode(for: $0)) } ?? none
            first = Int(try communicator.allreduce([Double(mine)], op: .min)[0])
        } catch {
            report(error, rank: communicator.rank)
            communicator.abort(code: 1)
        }
        switch outcome {
        case .success(let value) where first == none:
            return value
        case .failure(let error) where communicator.rank == first / 256:
            report(error, rank: communicator.rank == 0 ? nil : communicator.rank)
        default:
            break
        }
        communicator.finalize()
        exit(Int32(first % 256))
    }

    /// Prints `gantry: error: …` (with the rank when it matters) to standard error, and
    /// after a usage error the hint where to read the usage.
    public static func report(_ error: Error, rank: Int?) {
        let prefix = rank.map { "gantry: error: rank \($0): " } ?? "gantry: error: "
        fputs(prefix + String(describing: error) + "\n", stderr)
        if (error as? GantryError)?.kind == .usage { fputs(GantryError.usageHint + "\n", stderr) }
        fflush(stderr)
    }

    /// Prints `gantry: warning: …` to standard error.
    public static func warn(_ message: String) {
        fputs("gantry: warning: \(message)\n", stderr)
        fflush(stderr)
    }

    /// 64 for a usage error, 1 for any other.
    static func exitCode(for error: Error) -> Int32 {
        (error as? GantryError)?.exitCode ?? 1
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
