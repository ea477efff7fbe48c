/// Rank 0's check of mpirun's kill timeout: after the first few steps of a start it knows
/// roughly how long a step plus a checkpoint takes, and warns once when mpirun would SIGKILL
/// the ranks sooner after passing a SIGTERM on (docs/reliability.md, "Stopping a run").
struct KillTimeoutCheck {
    /// Steps measured before judging; the first step of a start (warm-up) is not counted.
    static let measuredSteps = 4
    /// A conservative write speed for the checkpoint estimate (temp file, fsync, rename).
    static let checkpointBytesPerSecond = 50e6

    let checkpointBytes: Int
    let launcher = Launcher()
    private var recorded = 0
    private var stepSeconds = 0.0

    init(checkpointBytes: Int) { self.checkpointBytes = checkpointBytes }

    mutating func record(stepSeconds seconds: Double) {
        guard recorded <= Self.measuredSteps, launcher.killTimeout != nil else { return }
        recorded += 1
        if recorded == 1 { return }
        stepSeconds += seconds
        guard recorded == Self.measuredSteps + 1 else { return }
        let estimate = stepSeconds / Double(Self.measuredSteps) + Double(checkpointBytes) / Self.checkpointBytesPerSecond
        if let warning = launcher.killTimeoutWarning(stepAndCheckpoint: estimate) { Job.warn(warning) }
    }
}
