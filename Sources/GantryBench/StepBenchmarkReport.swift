import GantryData
import GantryTrain

/// What one `gantry bench step` measured (rank 0's figures). Times are medians over the
/// timed iterations; the parts are medians each, so they need not add up to the iteration.
public struct StepBenchmarkReport: Codable {
    public var model: String
    /// Samples per rank.
    public var batch: Int
    public var worldSize: Int
    public var threads: Int
    public var steps: Int
    public var warmupSteps: Int
    /// The gradient synchronisation timed, e.g. "bucketed 1 MB, compress none".
    public var synchronization: String
    /// This rank's samples per second (batch / median iteration).
    public var imagesPerS: Double
    public var globalImagesPerS: Double
    public var msPerIteration: Double
    public var msPerIterationMean: Double
    public var msPerIterationMin: Double
    public var msPerPart: [String: Double]
    /// Floating-point operations (2 per multiply-add) per sample per iteration, counted
    /// layer by layer (see IterationCost).
    public var flopsPerImage: Int
    public var flopsPerImageByPart: [String: Int]
    /// FLOPs per image × batch / median iteration.
    public var gflops: Double
    public var sgemmN: Int
    public var sgemmRepetitions: Int
    /// The peak: sgemm on sgemmN² matrices on the same BLAS threads, the best of the timed
    /// calls (on a busy machine the best is the least disturbed)…
    public var sgemmGflops: Double
    /// …and their median.
    public var sgemmGflopsMedian: Double
    /// gflops / sgemmGflops: a median iteration against the best sgemm, so a disturbance
    /// lowers it rather than raises it.
    public var shareOfPeak: Double
    /// The process's peak resident set (getrusage), in MB of 10⁶ bytes.
    public var peakResidentMb: Double
    /// What the trainer allocated for G and D: parameters, gradients, Adam moments, state,
    /// activations, backward scratch, workspaces and the batch buffers (10⁶ bytes).
    public var modelMemoryMb: Double
    /// The last timed iteration's losses on this rank (synthetic data: a sanity check only).
    public var lossD: Double
    public var lossG: Double
    public var blas: String
    public var kernels: Kernels
    /// The CPUs rank 0 may run on (sched_getaffinity): a rank with `--threads T` needs T of them.
    public var cpuAffinity: [Int]

    /// The BLAS, its kernels, the CPU, and the FMA-peak yardstick ("kernels" in the JSON).
    public struct Kernels: Codable {
        public var blas: BLASDescription
        public var cpu: CPUDescription
        /// Which code runs the convolutions (ConvolutionBackend.describe).
        public var convolutions: String
        /// The instructions of the multiply-add loop (VectorISA.name).
        public var fmaIsa: String
        /// One core's peak: the multiply-add loop's best GFLOP/s (FMAPeak).
        public var fmaPeakGflops: Double
        /// gflops / (fmaPeakGflops × threads).
        public var shareOfFmaPeak: Double
        /// sgemmGflops / (fmaPeakGflops × threads): well below 1/2 means the wrong kernels or a
        /// throttled or shared core.
        public var sgemmShareOfFmaPeak: Double
    }

    /// The parts of an iteration as reported, in order, with where `PhaseTiming` keeps them.
    static let parts: [(key: String, label: String, time: KeyPath<PhaseTiming, Double>)] = [
        ("data", "data", \.data),
        ("g_forward", "G forward", \.generatorForward),
        ("d_forward_backward", "D fwd+bwd", \.discriminatorForwardBackward),
        ("d_allreduce", "D allreduce", \.discriminatorCommunication),
        ("d_forward_input_gradient", "D fwd+input grad", \.discriminatorInputGradient),
        ("g_backward", "G backward", \.generatorBackward),
        ("g_allreduce", "G allreduce", \.generatorCommunication),
        ("optimizer", "optimizer", \.optimizer),
    ]

    /// A few lines for people.
    public var text: String {
        func f(_ value: Double, _ digits: Int = 1) -> String { fixed(value, digits) }
        let ranks = worldSize == 1 ? "1 rank" : "\(worldSize) ranks (rank 0's figures)"
        let digits = msPerIteration < 10 ? 3 : 1
        let parts = Self.parts.map { "\($0.label) \(f(msPerPart[$0.key] ?? 0, digits))" }
        let byPart = flopsPerImageByPart
        return """
        gantry bench step: \(model), batch \(batch) per rank, \(ranks), \(threads) thread\(threads == 1 ? "" : "s") per rank, \
        \(steps) timed iterations after \(warmupSteps) warm-up (medians)
          allreduce:          \(synchronization)
          sgemm n=\(sgemmN):       \(f(sgemmGflops)) GFLOP/s (best of \(sgemmRepetitions); median \(f(sgemmGflopsMedian)))
          iteration:          \(f(msPerIteration, digits + 1)) ms (mean \(f(msPerIterationMean, digits + 1)), \
        min \(f(msPerIterationMin, digits + 1))), \(f(imagesPerS)) images/s per rank
          parts (ms):         \(parts.joined(separator: " | "))
          FLOPs per image:    \(f(Double(flopsPerImage) / 1e6, 2)) M (G forward \(f(Double(byPart["g_forward"] ?? 0) / 1e6, 2)), \
        D phase \(f(Double(byPart["d_phase"] ?? 0) / 1e6, 2)), G phase \(f(Double(byPart["g_phase"] ?? 0) / 1e6, 2)))
          achieved:           \(f(gflops)) GFLOP/s = \(f(100 * shareOfPeak))% of the sgemm peak
          peak resident:      \(f(peakResidentMb)) MB (model buffers \(f(modelMemoryMb)) MB)
        \(kernelLines)
        \(affinityLine)
        """
    }

    /// The BLAS and the FMA-peak yardstick, for people.
    var kernelLines: String {
        func percent(_ share: Double) -> String { fixed(100 * share, 1) + "%" }
        let k = kernels
        return """
          BLAS:               \(k.blas.summary)
          convolutions:       \(k.convolutions)
          CPU:                \(k.cpu.model) (\(k.cpu.isa))
          FMA peak:           \(fixed(k.fmaPeakGflops, 1)) GFLOP/s per core (\(k.fmaIsa) multiply-add loop); \
        sgemm reaches \(percent(k.sgemmShareOfFmaPeak)), the iteration \(percent(k.shareOfFmaPeak)) of it \
        (× \(threads) thread\(threads == 1 ? "" : "s"))
        """
    }

    /// One line when sgemm reaches less than half of the FMA peak, saying what to look at.
    public var kernelWarning: String? {
        guard kernels.sgemmShareOfFmaPeak < 0.5 else { return nil }
        let blas = kernels.blas
        let cores = threads == 1 ? "one core's" : "\(threads) cores'"
        return "sgemm reaches only \(fixed(100 * kernels.sgemmShareOfFmaPeak, 0))% of \(cores) FMA peak "
            + "(\(fixed(sgemmGflops, 1)) of \(fixed(kernels.fmaPeakGflops * Double(threads), 1)) GFLOP/s) with OpenBLAS's "
            + "\(blas.kernels) kernels (CPU: \(kernels.cpu.isa)): if those kernels are narrower than the CPU, set "
            + "OPENBLAS_CORETYPE (docs/performance.md#kernel-selection); otherwise the core is throttled or shared "
            + "(check the load with top and the clock in /proc/cpuinfo)"
    }

    /// Where rank 0 may run, and a warning when it has fewer CPUs than threads.
    private var affinityLine: String {
        let warning = cpuAffinity.count < threads ? " — fewer CPUs than --threads \(threads): the threads share them" : ""
        return "  cpu affinity:       \(CPUAffinity.describe(cpuAffinity)) (\(cpuAffinity.count) CPU\(cpuAffinity.count == 1 ? "" : "s"))\(warning)"
    }
}
