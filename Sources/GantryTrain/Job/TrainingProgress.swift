import Synchronization

/// What the training thread is doing, published for the `StallWatchdog`: the step, the part
/// of it (the phases the timeline records) and when that part began, plus a typical step's
/// seconds and the last checkpoint.
///
/// The training thread only stores into atomics, so publishing costs a few stores per phase:
/// no lock, no allocation, nothing measurable per step. The watchdog reads them from its
/// own thread.
final class TrainingProgress: Sendable {
    /// step << 8 | phase: one store, so the two are always read together.
    private let position = Atomic<UInt64>(0)
    /// When the current phase began (Clock seconds, as bits; 0 before the first phase).
    private let entered = Atomic<UInt64>(0)
    /// The median of recent steps' seconds (as bits; 0 until a step finished).
    private let typicalStep = Atomic<UInt64>(0)
    /// The step of the newest checkpoint this run knows of; -1 for none.
    private let checkpointStep = Atomic<Int>(-1)

    init() {}

    /// The training thread begins `phase` of `step` at clock reading `time`.
    func enter(_ phase: Timeline.Phase, step: Int, at time: Double = Clock.now()) {
        entered.store(time.bitPattern, ordering: .releasing)
        position.store(UInt64(step) << 8 | UInt64(phase.rawValue), ordering: .releasing)
    }

    /// Counts the current phase as begun at `time` if it began earlier (the watchdog, after
    /// this process was frozen). The training thread may enter a new phase meanwhile; then
    /// the exchange fails and the new phase's time stands.
    func excuse(until time: Double) {
        let current = entered.load(ordering: .acquiring)
        guard current != 0, Double(bitPattern: current) < time else { return }
        _ = entered.compareExchange(expected: current, desired: time.bitPattern, ordering: .acquiringAndReleasing)
    }

    func setTypicalStep(seconds: Double) { typicalStep.store(seconds.bitPattern, ordering: .relaxed) }
    func setCheckpoint(step: Int) { checkpointStep.store(step, ordering: .relaxed) }

    /// What the watchdog sees.
    struct Snapshot: Equatable {
        var phase: Timeline.Phase
        var step: Int
        /// When the phase began (Clock seconds).
        var since: Double
        var typicalStep: Double
        var checkpointStep: Int?
    }

    /// The current phase, or nil when none was entered yet or it changed while being read
    /// (the time is read before and after the phase, so a time and a phase of different
    /// moments are never paired).
    func snapshot() -> Snapshot? {
        let before = entered.load(ordering: .acquiring)
        let word = position.load(ordering: .acquiring)
        guard before != 0, before == entered.load(ordering: .acquiring),
              let phase = Timeline.Phase(rawValue: UInt8(truncatingIfNeeded: word)) else { return nil }
        let checkpoint = checkpointStep.load(ordering: .relaxed)
        return Snapshot(phase: phase, step: Int(word >> 8), since: Double(bitPattern: before),
                        typicalStep: Double(bitPattern: typicalStep.load(ordering: .relaxed)),
                        checkpointStep: checkpoint >= 0 ? checkpoint : nil)
    }
}
