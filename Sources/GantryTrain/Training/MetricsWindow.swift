/// One step's losses and mean discriminator outputs.
public struct StepLosses {
    public var lossD: Double, lossG: Double, dReal: Double, dFake: Double

    public init(lossD: Double = 0, lossG: Double = 0, dReal: Double = 0, dFake: Double = 0) {
        (self.lossD, self.lossG, self.dReal, self.dFake) = (lossD, lossG, dReal, dFake)
    }
}

/// Sums of the (rank-averaged) losses over the steps since the last log line.
struct MetricsWindow {
    var sums = StepLosses()
    var steps = 0
    /// Steps whose update was skipped for non-finite values (`--on-nan skip-step`).
    var skipped = 0
    var epoch = 0

    mutating func add(_ losses: StepLosses) {
        sums.lossD += losses.lossD
        sums.lossG += losses.lossG
        sums.dReal += losses.dReal
        sums.dFake += losses.dFake
        steps += 1
    }
}
