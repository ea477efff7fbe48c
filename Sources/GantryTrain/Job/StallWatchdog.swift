import Glibc
import Synchronization
import GantryMPI

/// A thread on every rank that notices when training stops making progress: a rank stuck in
/// a collective whose peer is gone, frozen or slower than it should be, or a write to a disk
/// that hangs. It wakes every second and reads what the training thread last published
/// (`TrainingProgress`): after --stall-warn seconds in the same phase it prints one warning
/// naming the phase and the step; after --stall-timeout seconds it prints one error line and
/// aborts the whole job (MPI_Abort), since a rank waiting in a collective cannot be
/// interrupted any other way. Checkpoints are written atomically, so the newest one stays
/// intact.
///
/// It is `@unchecked Sendable` because of the communicator, which it uses only to abort:
/// MPI_Abort ends every rank of the job from any thread.
final class StallWatchdog: @unchecked Sendable {
    let progress: TrainingProgress
    let warning: StallThreshold
    let timeout: StallThreshold
    let rank: Int
    /// With --sync-bn the forward and backward passes hold allreduces too.
    let syncBatchNorm: Bool
    private let communicator: Communicator
    private let stopped = Atomic<Bool>(false)

    init(progress: TrainingProgress, warning: StallThreshold, timeout: StallThreshold,
                syncBatchNorm: Bool, communicator: Communicator) {
        self.progress = progress
        self.warning = warning
        self.timeout = timeout
        self.syncBatchNorm = syncBatchNorm
        self.communicator = communicator
        rank = communicator.rank
    }

    /// Starts watching, unless both thresholds are off.
    func start() {
        guard !(warning.isOff && timeout.isOff) else { return }
        // A detached thread holding the watchdog until `watch` returns.
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { raw in
            let watchdog = Unmanaged<StallWatchdog>.fromOpaque(raw!).takeRetainedValue()
            watchdog.watch()
            return nil
        }, Unmanaged.passRetained(self).toOpaque())
        precondition(status == 0, "StallWatchdog: cannot start its thread (error \(status))")
        pthread_detach(thread)
    }

    /// Stops watching (the thread ends within a second): the training thread's work outside
    /// the loop is not watched.
    func stop() { stopped.store(true, ordering: .relaxed) }

    private func watch() {
        var warnedAbout: Double?  // when the phase warned about began
        var awake = Clock.now()
        while true {
            sleep(1)
            if stopped.load(ordering: .relaxed) { return }
            // A process that was itself stopped (SIGSTOP, a suspended machine) does not count
            // the time it did not run: that was no stall of its own.
            let previous = awake
            awake = Clock.now()
            if awake - previous > Self.frozenAfter { progress.excuse(until: awake) }
            guard let now = progress.snapshot() else { continue }
            let idle = awake - now.since
            switch verdict(now, idle: idle, warned: warnedAbout == now.since) {
            case .none:
                break
            case .warn(let message):
                Job.warn("rank \(rank): \(message)")
                warnedAbout = now.since
            case .abort(let message):
                Job.report(GantryError(message), rank: rank)
                communicator.abort(code: 1)
            }
        }
    }

    /// Seconds between two wake-ups beyond which this process was frozen.
    static let frozenAfter = 3.0

    enum Verdict: Equatable { case none, warn(String), abort(String) }

    /// What to do about a phase that began `idle` seconds ago; `warned`: whether this very
    /// phase was already warned about (one warning per stall).
    func verdict(_ snapshot: TrainingProgress.Snapshot, idle: Double, warned: Bool) -> Verdict {
        let stall = "no progress for \(Int(idle)) s in \(snapshot.phase.name) of step \(snapshot.step)" + note(on: snapshot.phase)
        if let limit = timeout.seconds(typicalStep: snapshot.typicalStep), idle >= limit {
            let newest = snapshot.checkpointStep.map { "the newest checkpoint is \(CheckpointDirectory.fileName(step: $0))" }
                ?? "no checkpoint was written yet"
            return .abort("\(stall): aborting the job after --stall-timeout \(Int(timeout.seconds)) s; \(newest)")
        }
        if !warned, let limit = warning.seconds(typicalStep: snapshot.typicalStep), idle >= limit {
            return .warn(stall)
        }
        return .none
    }

    /// For a collective, who it waits for. A rank in a
    /// collective knows it has arrived, not which of the others has not: collectives are
    /// matched, so every rank that passed the last agreement had completed the same step.
    /// The rank that is behind names its own phase in its own warning, unless it is frozen
    /// or dead.
    func note(on phase: Timeline.Phase) -> String {
        switch phase {
        case .discriminatorAllreduce, .generatorAllreduce, .agreement, .replicaCheck:
            return " (a collective: this rank has arrived and waits for the others)"
        case .generatorForward, .discriminatorForwardBackward, .discriminatorInputGradient, .generatorBackward:
            return syncBatchNorm ? " (or in one of its --sync-bn allreduces, waiting for the others)" : ""
        default:
            return ""
        }
    }
}
