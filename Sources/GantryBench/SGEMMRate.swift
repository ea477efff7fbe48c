import GantryNN
import GantryData
import GantryTrain

/// The rate of OpenBLAS sgemm on square matrices, on the current BLAS threads.
enum SGEMMRate {
    /// GFLOP/s (2n³ per call) of `repetitions` timed n × n × n calls after one untimed call:
    /// their median and their best.
    static func measure(size n: Int, repetitions: Int) -> (median: Double, best: Double) {
        let a = FloatBuffer(count: n * n), b = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)
        var random = SequentialRandom(seed: 1, stream: CounterRandom.Stream.evaluation, substream: 0x5E_3E33)
        for i in 0..<(n * n) {
            a[i] = random.uniform(-1, 1)
            b[i] = random.uniform(-1, 1)
        }
        sgemm(m: n, n: n, k: n, a: a.pointer, b: b.pointer, c: c.pointer)
        var rates: [Double] = []
        for _ in 0..<max(repetitions, 1) {
            let start = Clock.now()
            sgemm(m: n, n: n, k: n, a: a.pointer, b: b.pointer, c: c.pointer)
            rates.append(2 * Double(n * n * n) / (Clock.now() - start) / 1e9)
        }
        return (median(rates), rates.max()!)
    }
}
