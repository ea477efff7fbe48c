import Glibc

/// SIGTERM and SIGINT as a polite request to stop. Slurm sends SIGTERM before it kills a job
/// (and `--signal` sends it earlier). SIGUSR1 asks the same: mpirun passes it on to every rank
/// on every node without killing them, which launch/cluster.sh uses. The trainer checks the
/// request at every step boundary, where the ranks agree on it with an allreduce, write a
/// checkpoint and exit 0.
///
/// A second signal ends the process at once, unless it comes within `repeatWindow` seconds
/// of the first: launchers and `timeout` often deliver the same SIGTERM twice (to the
/// process group and to the process), which must not cost the final checkpoint.
public enum StopSignal {
    static let repeatWindow = 2.0

    /// When the first signal arrived (CLOCK_MONOTONIC, seconds; 0: none yet). Written only
    /// by the handler: an aligned 64-bit store, atomic on the machines Gantry runs on.
    nonisolated(unsafe) private static let firstSignal: UnsafeMutablePointer<Double> = {
        let pointer = UnsafeMutablePointer<Double>.allocate(capacity: 1)
        pointer.initialize(to: 0)
        return pointer
    }()

    public static func install() {
        _ = firstSignal.pointee  // initialise the storage before a handler can run
        for signalNumber in [SIGTERM, SIGINT, SIGUSR1] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signalNumber in
                // Async-signal-safe only: clock_gettime, a store, and on a later signal
                // dying of it.
                var time = timespec()
                clock_gettime(CLOCK_MONOTONIC, &time)
                let now = Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
                let first = StopSignal.firstSignal.pointee
                if first == 0 {
                    StopSignal.firstSignal.pointee = now
                } else if now - first > StopSignal.repeatWindow {
                    Glibc.signal(signalNumber, SIG_DFL)
                    raise(signalNumber)
                }
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signalNumber, &action, nil)
        }
    }

    public static var isRequested: Bool { firstSignal.pointee > 0 }
}
