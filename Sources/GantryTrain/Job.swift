import Glibc
import GantryMPI

/// An error every rank has detected identically (for instance non-finite gradients, which
/// are checked after the allreduce): rank 0 reports it and every rank exits 1 in good order.
public struct AgreedFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Gantry's error policy for an MPI job: one clear error line, a non-zero exit, and no rank
/// left waiting in a collective.
///
/// - Setup runs in stages (`agree`): every rank runs a stage, which must not call any
///   collective operation, then the ranks agree on its outcome with one allreduce. If a rank
///   failed, the lowest failing rank prints its message and every rank exits 1.
/// - Errors after setup happen on one rank while the others may already wait in the next
///   allreduce, so that rank prints its message and aborts the whole job. An AgreedFailure
///   is known to every rank: rank 0 prints it and all exit 1 without an abort.
public enum Job {
    public static func run(_ body: (Communicator) throws -> Void) -> Never {
        let communicator: Communicator
        do {
            communicator = try Communicator.initialize()
        } catch {
            report(error, rank: nil)
            exit(1)
        }
        do {
            try body(communicator)
        } catch let failure as AgreedFailure {
            if communicator.isRoot { report(failure, rank: nil) }
            communicator.finalize()
            exit(1)
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
        var firstFailure = communicator.size
        do {
            let mine = outcome.isFailure ? communicator.rank : communicator.size
            firstFailure = Int(try communicator.allreduce([Double(mine)], op: .min)[0])
        } catch {
            report(error, rank: communicator.rank)
            communicator.abort(code: 1)
        }
        switch outcome {
        case .success(let value) where firstFailure == communicator.size:
            return value
        case .failure(let error) where communicator.rank == firstFailure:
            report(error, rank: communicator.rank == 0 ? nil : communicator.rank)
        default:
            break
        }
        communicator.finalize()
        exit(1)
    }

    /// Prints `gantry: error: …` (with the rank when it matters) to standard error.
    public static func report(_ error: Error, rank: Int?) {
        let prefix = rank.map { "gantry: error: rank \($0): " } ?? "gantry: error: "
        fputs(prefix + String(describing: error) + "\n", stderr)
        fflush(stderr)
    }

    /// Prints `gantry: warning: …` to standard error.
    public static func warn(_ message: String) {
        fputs("gantry: warning: \(message)\n", stderr)
        fflush(stderr)
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
