import FoundationEssentials
import Glibc

/// One line of metrics.jsonl: the averages over the steps since the previous line.
public struct MetricsRecord: Codable {
    public var step: Int
    public var epoch: Int
    public var lossD: Double
    public var lossG: Double
    public var dReal: Double
    public var dFake: Double
    /// (log 4 − L_D) / 2: the Jensen–Shannon divergence an optimal D would imply.
    public var jsdEstimate: Double
    /// The R1 penalty (γ/2)·E‖∇ₓD(x)‖², mean over the steps that computed it; absent when
    /// --r1 is off (or no step of the window computed it).
    public var r1: Double?
    public var imagesPerS: Double
    /// Seconds per iteration spent in each part, on rank 0.
    public var seconds: [String: Double]

    /// Steps in this window whose update was skipped for non-finite values.
    public var skippedSteps: Int
    /// When the line was written: seconds since 1970 (UTC), as TensorBoard's wall_time.
    /// Absent in the records of checkpoints written before these fields existed.
    public var wallTime: Double?
    /// Seconds of training since the run began, summed over its starts and resumptions.
    public var elapsedS: Double?

    init(step: Int, window: MetricsWindow, globalBatch: Int, timing: PhaseTiming, elapsed: Double) {
        let steps = max(window.steps, 1)
        let mean = 1 / Double(steps)
        self.step = step
        epoch = window.epoch
        lossD = window.sums.lossD * mean
        lossG = window.sums.lossG * mean
        dReal = window.sums.dReal * mean
        dFake = window.sums.dFake * mean
        skippedSteps = window.skipped
        jsdEstimate = (log(4) - lossD) / 2
        r1 = window.sums.r1.map { $0 / Double(max(window.r1Steps, 1)) }
        let iterations = window.steps + window.skipped
        let perStep = 1 / Double(max(iterations, 1))
        imagesPerS = timing.total > 0 ? Double(globalBatch * iterations) / timing.total : 0
        seconds = ["data": timing.data * perStep,
                   "d_compute": timing.discriminatorCompute * perStep,
                   "d_communication": timing.discriminatorCommunication * perStep,
                   "g_compute": timing.generatorCompute * perStep,
                   "g_communication": timing.generatorCommunication * perStep,
                   "optimizer": timing.optimizer * perStep]
        wallTime = Date().timeIntervalSince1970
        elapsedS = elapsed
    }
}
