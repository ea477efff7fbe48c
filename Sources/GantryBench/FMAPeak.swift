import GantryNN
import GantryTrain

/// A core's hardware peak: the multiply-add loop (CPUInfo) at the widest vector instructions
/// the CPU and the OS support, on the calling thread. The yardstick that a slow BLAS cannot
/// bend, unlike sgemm's own rate (docs/performance.md#the-fma-peak).
enum FMAPeak {
    /// GFLOP/s of the best of `repetitions` runs of the loop. Each run is short (about 10⁸
    /// FLOPs, a millisecond or so) so that on a busy machine some run between interruptions.
    static func measure(isa: VectorISA, repetitions: Int) -> Double {
        let iterations = 200_000
        _ = isa.multiplyAddLoop(iterations: 10 * iterations)  // the clock ramps up, wide units power on
        var best = 0.0
        for _ in 0..<max(repetitions, 1) {
            let start = Clock.now()
            let flops = isa.multiplyAddLoop(iterations: iterations)
            best = max(best, flops / (Clock.now() - start) / 1e9)
        }
        return best
    }
}
