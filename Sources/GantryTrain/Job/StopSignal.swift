import Glibc

/// SIGTERM and SIGINT as a polite request to stop. Slurm sends SIGTERM before it kills a job
/// (and `--signal` sends it earlier); the trainer checks the request at every step boundary,
/// where the ranks agree on it with an allreduce, write a checkpoint and exit 0. A second
/// signal ends the process at once.
public enum StopSignal {
    /// Signals received; written only by the handler.
    nonisolated(unsafe) private static let received: UnsafeMutablePointer<sig_atomic_t> = {
        let pointer = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
        pointer.initialize(to: 0)
        return pointer
    }()
    public static func install() {
        _ = received.pointee  // initialise the storage before a handler can run
        for signalNumber in [SIGTERM, SIGINT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signalNumber in
                // Async-signal-safe only: count, and on the second signal die of it.
                StopSignal.received.pointee += 1
                if StopSignal.received.pointee >= 2 {
                    Glibc.signal(signalNumber, SIG_DFL)
                    raise(signalNumber)
                }
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signalNumber, &action, nil)
        }
    }

    public static var isRequested: Bool { received.pointee > 0 }
}
