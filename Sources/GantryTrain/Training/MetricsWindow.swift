/// One step's losses and mean discriminator outputs.
public struct StepLosses {
    public var lossD: Double, lossG: Double, dReal: Double, dFake: Double
    /// The R1 penalty (γ/2)·E‖∇ₓD(x)‖² of the step's last D step that applied it; nil when
    /// none did (--r1 off, or lazy R1 skipped every D step of this iteration).
    public var r1: Double?

    public init(lossD: Double = 0, lossG: Double = 0, dReal: Double = 0, dFake: Double = 0) {
        (self.lossD, self.lossG, self.dReal, self.dFake) = (lossD, lossG, dReal, dFake)
    }
}

/// Sums of the (rank-averaged) losses over the steps since the last log line.
struct MetricsWindow {
    var sums = StepLosses()
    var steps = 0
    /// Steps that computed the R1 penalty (their values are summed in `sums.r1`).
    var r1Steps = 0
    /// Steps whose update was skipped for non-finite values (`--on-nan skip-step`).
    var skipped = 0
    var epoch = 0

    mutating func add(_ losses: StepLosses) {
        sums.lossD += losses.lossD
        sums.lossG += losses.lossG
        sums.dReal += losses.dReal
        sums.dFake += losses.dFake
        if let r1 = losses.r1 {
            sums.r1 = (sums.r1 ?? 0) + r1
            r1Steps += 1
        }
        steps += 1
    }
}
