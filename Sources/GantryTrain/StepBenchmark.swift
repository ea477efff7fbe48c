import Glibc
import GantryMPI
import GantryNN
import GantryData

/// `gantry bench step`: how fast one rank trains, measured on the Trainer's own iteration.
///
/// The benchmark builds a real `Trainer` (G, D, both Adam optimisers, the global sampler)
/// over a small bank of random images held in memory, so nothing is read from disk, and
/// drives `Trainer.trainOneIteration` step by step, reading the per-part clock the trainer
/// keeps anyway (`PhaseTiming`). The work measured is exactly the work `gantry train` does
/// per iteration; only logging, replica checks, samples and checkpoints are left out.
///
/// Before the model is built it measures OpenBLAS `sgemm` on n × n matrices on the same
/// threads: the reference peak the iteration's achieved GFLOP/s is compared with.
public final class StepBenchmark {
    public struct Configuration {
        public var model: ModelKind
        /// Samples per rank.
        public var batch: Int
        /// Timed iterations, after `warmupSteps` untimed ones.
        public var steps: Int
        public var warmupSteps: Int
        public var threads: Int
        public var seed: UInt64 = 1
        /// Side of the square sgemm that measures the reference peak.
        public var sgemmSize = 1024
        public var sgemmRepetitions = 10
        /// The options the benchmark trains with: what the fields above set is overwritten,
        /// the rest (the gradient synchronisation, learning rates, K) is used as given.
        public var options = TrainingOptions()

        public init(model: ModelKind, batch: Int, steps: Int, warmupSteps: Int, threads: Int) {
            self.model = model
            self.batch = batch
            self.steps = steps
            self.warmupSteps = warmupSteps
            self.threads = threads
        }
    }

    public let configuration: Configuration
    let communicator: Communicator
    /// The trainer driven: `model` at `batch` samples per rank on synthetic data.
    let trainer: Trainer
    /// The sgemm rates (best and median), measured before the model was built (its matrices
    /// are freed by then, so they do not add to the peak resident set of training).
    let sgemm: (median: Double, best: Double)

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

    /// Validates the configuration (throws a GantryError naming the flag), sets the BLAS
    /// threads, measures sgemm on them, and builds the trainer. Performs no collective
    /// operation (see Job.agree).
    public init(_ configuration: Configuration, communicator: Communicator) throws {
        for (flag, value) in [("--batch", configuration.batch), ("--steps", configuration.steps),
                              ("--threads", configuration.threads)] where value <= 0 {
            throw GantryError("\(flag) must be positive, got \(value)")
        }
        guard configuration.warmupSteps >= 0 else {
            throw GantryError("--warmup must be 0 or more, got \(configuration.warmupSteps)")
        }
        if configuration.model.usesBatchNorm && configuration.batch < 2 {
            throw GantryError("--batch must be at least 2 for \(configuration.model.rawValue) (BatchNorm needs two samples)")
        }
        self.configuration = configuration
        self.communicator = communicator
        BLAS.setThreads(configuration.threads)
        sgemm = SGEMMRate.measure(size: configuration.sgemmSize, repetitions: configuration.sgemmRepetitions)
        var options = configuration.options
        options.model = configuration.model.rawValue
        options.data = SyntheticSamples.name
        options.batch = configuration.batch
        options.seed = configuration.seed
        options.threads = configuration.threads
        let globalBatch = configuration.batch * communicator.size
        // Two global batches of samples: the sampler crosses an epoch boundary (and reshuffles)
        // every other step, as a long run does now and then.
        let dataset = SyntheticSamples(shape: configuration.model.sampleShape, count: 2 * globalBatch, seed: configuration.seed)
        options.steps = configuration.warmupSteps + configuration.steps
        let plan = try TrainingPlan(options: options, worldSize: communicator.size, dataset: dataset)
        trainer = try Trainer(plan: plan, communicator: communicator, output: nil)
    }

    /// Runs the warm-up and the timed iterations (every rank of the job must call it: the
    /// iterations hold allreduces).
    public func run() throws -> StepBenchmarkReport {
        try trainer.connectSynchronizers()
        for _ in 0..<configuration.warmupSteps { _ = try advance() }
        try communicator.barrier()
        // Filled in place: the timed loop allocates nothing itself.
        var seconds = [Double](repeating: 0, count: configuration.steps)
        var timings = [PhaseTiming](repeating: PhaseTiming(), count: configuration.steps)
        var losses = StepLosses()
        for i in 0..<configuration.steps {
            trainer.timing = PhaseTiming()
            let start = Clock.now()
            losses = try advance()
            seconds[i] = Clock.now() - start
            timings[i] = trainer.timing
        }

        let cost = IterationCost(generator: trainer.generator, discriminator: trainer.discriminator,
                                 dSteps: trainer.plan.options.dSteps)
        let iteration = median(seconds)
        let batch = Double(configuration.batch)
        let achieved = 2 * Double(cost.total) * batch / iteration / 1e9
        var partMilliseconds: [String: Double] = [:]
        for part in Self.parts { partMilliseconds[part.key] = 1000 * median(timings.map { $0[keyPath: part.time] }) }
        return StepBenchmarkReport(
            model: configuration.model.rawValue, batch: configuration.batch, worldSize: communicator.size,
            threads: configuration.threads, steps: configuration.steps, warmupSteps: configuration.warmupSteps,
            synchronization: trainer.plan.options.synchronizationSummary,
            imagesPerSecond: batch / iteration,
            globalImagesPerSecond: batch * Double(communicator.size) / iteration,
            millisecondsPerIteration: 1000 * iteration,
            millisecondsPerIterationMean: 1000 * seconds.reduce(0, +) / Double(seconds.count),
            millisecondsPerIterationMin: 1000 * seconds.min()!,
            millisecondsPerPart: partMilliseconds,
            flopsPerImage: 2 * cost.total,
            flopsPerImageByPart: ["g_forward": 2 * cost.generatorForward, "d_phase": 2 * cost.discriminatorPhase,
                                  "g_phase": 2 * cost.generatorPhase],
            gflops: achieved,
            sgemmSize: configuration.sgemmSize,
            sgemmRepetitions: configuration.sgemmRepetitions,
            sgemmGflops: sgemm.best,
            sgemmGflopsMedian: sgemm.median,
            shareOfPeak: achieved / sgemm.best,
            peakResidentMB: Memory.peakResidentBytes / 1e6,
            modelMemoryMB: Double(4 * trainer.allocatedFloats) / 1e6,
            lossD: losses.lossD, lossG: losses.lossG,
            blas: BLAS.configuration)
    }

    /// One iteration of the trainer, and its step counter moved on as `Trainer.run` does.
    func advance() throws -> StepLosses {
        let losses = try trainer.trainOneIteration()
        trainer.step += 1
        return losses
    }
}

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
    /// The gradient synchronisation timed, e.g. "bucketed 1 MB, overlap poll, compress none".
    public var synchronization: String
    /// This rank's samples per second (batch / median iteration).
    public var imagesPerSecond: Double
    public var globalImagesPerSecond: Double
    public var millisecondsPerIteration: Double
    public var millisecondsPerIterationMean: Double
    public var millisecondsPerIterationMin: Double
    public var millisecondsPerPart: [String: Double]
    /// Floating-point operations (2 per multiply-add) per sample per iteration, counted
    /// layer by layer (see IterationCost).
    public var flopsPerImage: Int
    public var flopsPerImageByPart: [String: Int]
    /// FLOPs per image × batch / median iteration.
    public var gflops: Double
    public var sgemmSize: Int
    public var sgemmRepetitions: Int
    /// The peak: sgemm on sgemmSize² matrices on the same BLAS threads, the best of the timed
    /// calls (on a busy machine the best is the least disturbed)…
    public var sgemmGflops: Double
    /// …and their median.
    public var sgemmGflopsMedian: Double
    /// gflops / sgemmGflops: a median iteration against the best sgemm, so a disturbance
    /// lowers it rather than raises it.
    public var shareOfPeak: Double
    /// The process's peak resident set (getrusage), in MB of 10⁶ bytes.
    public var peakResidentMB: Double
    /// What the trainer allocated for G and D: parameters, gradients, Adam moments, state,
    /// activations, backward scratch, workspaces and the batch buffers (10⁶ bytes).
    public var modelMemoryMB: Double
    /// The last timed iteration's losses on this rank (synthetic data: a sanity check only).
    public var lossD: Double
    public var lossG: Double
    public var blas: String

    enum CodingKeys: String, CodingKey {
        case model, batch, threads, steps, gflops, blas, synchronization
        case worldSize = "world_size", warmupSteps = "warmup_steps"
        case imagesPerSecond = "images_per_s", globalImagesPerSecond = "global_images_per_s"
        case millisecondsPerIteration = "ms_per_iteration", millisecondsPerIterationMean = "ms_per_iteration_mean"
        case millisecondsPerIterationMin = "ms_per_iteration_min", millisecondsPerPart = "ms_per_part"
        case flopsPerImage = "flops_per_image", flopsPerImageByPart = "flops_per_image_by_part"
        case sgemmSize = "sgemm_n", sgemmRepetitions = "sgemm_repetitions"
        case sgemmGflops = "sgemm_gflops", sgemmGflopsMedian = "sgemm_gflops_median"
        case shareOfPeak = "share_of_peak", peakResidentMB = "peak_resident_mb", modelMemoryMB = "model_memory_mb"
        case lossD = "loss_d", lossG = "loss_g"
    }

    /// A few lines for people.
    public var text: String {
        func f(_ value: Double, _ digits: Int = 1) -> String { fixed(value, digits) }
        let ranks = worldSize == 1 ? "1 rank" : "\(worldSize) ranks (rank 0's figures)"
        let digits = millisecondsPerIteration < 10 ? 3 : 1
        let parts = StepBenchmark.parts.map { "\($0.label) \(f(millisecondsPerPart[$0.key] ?? 0, digits))" }
        let byPart = flopsPerImageByPart
        return """
        gantry bench step: \(model), batch \(batch) per rank, \(ranks), \(threads) BLAS thread\(threads == 1 ? "" : "s"), \
        \(steps) timed iterations after \(warmupSteps) warm-up (medians)
          allreduce:          \(synchronization)
          sgemm n=\(sgemmSize):       \(f(sgemmGflops)) GFLOP/s (best of \(sgemmRepetitions); median \(f(sgemmGflopsMedian)))
          iteration:          \(f(millisecondsPerIteration, digits + 1)) ms (mean \(f(millisecondsPerIterationMean, digits + 1)), \
        min \(f(millisecondsPerIterationMin, digits + 1))), \(f(imagesPerSecond)) images/s per rank
          parts (ms):         \(parts.joined(separator: " | "))
          FLOPs per image:    \(f(Double(flopsPerImage) / 1e6, 2)) M (G forward \(f(Double(byPart["g_forward"] ?? 0) / 1e6, 2)), \
        D phase \(f(Double(byPart["d_phase"] ?? 0) / 1e6, 2)), G phase \(f(Double(byPart["g_phase"] ?? 0) / 1e6, 2)))
          achieved:           \(f(gflops)) GFLOP/s = \(f(100 * shareOfPeak))% of the sgemm peak
          peak resident:      \(f(peakResidentMB)) MB (model buffers \(f(modelMemoryMB)) MB)
        """
    }
}

/// Multiply-adds per sample of one training iteration, counted layer by layer from each
/// layer's `forwardMultiplyAddsPerSample`.
///
/// Each layer's backward pass is counted as one forward's worth of multiply-adds for the
/// parameter gradients (layers with parameters) and one for the input gradient (when it is
/// computed). That is exact for the GEMM layers — Linear, Conv2d and ConvTranspose2d, each
/// backward being two GEMMs of the forward's shape — which carry all but a fraction of a
/// percent of the work; BatchNorm counts one multiply-add per value and pass, activations zero.
///
/// - D phase (per D step): G forward; D forward and backward on the real batch and again
///   on the fake one, with parameter gradients and no gradient for D's input.
/// - G phase: D forward on the fake batch; D backward with input gradients only (no D
///   parameter gradients), down to the images; G backward with parameter gradients and no
///   gradient for the noise.
public struct IterationCost {
    /// G's forward passes (one per D step).
    public let generatorForward: Int
    /// D's forward and backward passes in the D phase (all D steps), without G's forward.
    public let discriminatorPhase: Int
    public let generatorPhase: Int
    public let dSteps: Int
    public var total: Int { generatorForward + discriminatorPhase + generatorPhase }

    public init(generator: Network, discriminator: Network, dSteps: Int) {
        self.dSteps = dSteps
        generatorForward = dSteps * generator.forwardMultiplyAddsPerSample
        let discriminatorForward = discriminator.forwardMultiplyAddsPerSample
        discriminatorPhase = dSteps * 2 * (discriminatorForward
            + Self.backward(discriminator, parameterGradients: true, inputGradient: false))
        generatorPhase = discriminatorForward
            + Self.backward(discriminator, parameterGradients: false, inputGradient: true)
            + Self.backward(generator, parameterGradients: true, inputGradient: false)
    }

    /// Multiply-adds of one backward pass through `network`, as `Network.backward` runs it:
    /// every layer but the first computes its input gradient, the first only when asked.
    static func backward(_ network: Network, parameterGradients: Bool, inputGradient: Bool) -> Int {
        var total = 0
        for (i, layer) in network.layers.enumerated() {
            let forward = layer.forwardMultiplyAddsPerSample
            if parameterGradients && layer.parameterCount > 0 { total += forward }
            if i > 0 || inputGradient { total += forward }
        }
        return total
    }
}

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

/// The step benchmark's real data: random images of the model's sample shape in [-1, 1],
/// drawn once and kept in memory, so a batch costs only copying.
struct SyntheticSamples: Dataset {
    static let name = "synthetic"
    var name: String { Self.name }
    let count: Int
    let shape: SampleShape
    private let values: FloatBuffer

    init(shape: Shape, count: Int, seed: UInt64) {
        self.count = count
        self.shape = SampleShape(channels: shape.channels, height: shape.height, width: shape.width)
        values = FloatBuffer(count: count * shape.count)
        var random = SequentialRandom(seed: seed, stream: CounterRandom.Stream.evaluation, substream: 0xDA7A)
        for i in 0..<values.count { values[i] = random.uniform(-1, 1) }
    }

    func write(sample index: Int, into destination: UnsafeMutablePointer<Float>, channelStride: Int) {
        let plane = shape.spatial, source = values.pointer + index * shape.count
        for c in 0..<shape.channels {
            (destination + c * channelStride).update(from: source + c * plane, count: plane)
        }
    }
}

extension ModelKind {
    /// Whether the networks hold BatchNorm layers (which need two samples per batch).
    var usesBatchNorm: Bool { self != .mlp }
}

extension Trainer {
    /// Floats the trainer allocated for its model: G's and D's parameters, gradients and
    /// state, both Adam optimisers' moments, the networks' activations, their scratch space
    /// (workspace and backward buffers, counted once when shared), and the real, noise and
    /// logit-gradient batches.
    var allocatedFloats: Int {
        let networks = [generator, discriminator].reduce(0) {
            $0 + 2 * $1.parameters.count + $1.state.count + $1.activationMemoryFloats
        }
        let scratch = generator.scratch === discriminator.scratch
            ? generator.scratch.allocatedFloats
            : generator.scratch.allocatedFloats + discriminator.scratch.allocatedFloats
        let moments = 2 * (generator.parameters.count + discriminator.parameters.count)
        let n = plan.localBatch
        return networks + scratch + moments + n * (plan.model.sampleShape.count + plan.model.noiseDimension + 1)
    }
}

/// This process's memory as the kernel counts it.
enum Memory {
    /// The peak resident set size so far (getrusage's ru_maxrss, kilobytes on Linux).
    static var peakResidentBytes: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) * 1024
    }
}

/// The median of `values` (the mean of the middle two for an even count); 0 when empty.
func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted(), middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
