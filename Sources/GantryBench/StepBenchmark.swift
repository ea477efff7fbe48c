import Glibc
import GantryMPI
import GantryNN
import GantryData
import GantryTrain

/// `gantry bench step`: how fast one rank trains, measured on the Trainer's own iteration.
///
/// The benchmark builds a real `Trainer` (G, D, both Adam optimisers, the global sampler)
/// over a small bank of random images held in memory, so nothing is read from disk, and
/// drives `Trainer.trainOneIteration` step by step, reading the per-part clock the trainer
/// keeps anyway (`PhaseTiming`). The work measured is exactly the work `gantry train` does
/// per iteration; only logging, replica checks, samples and checkpoints are left out.
///
/// Before the model is built it measures OpenBLAS `sgemm` on n × n matrices on the same
/// threads: the reference peak the iteration's achieved GFLOP/s is compared with; and the
/// core's own peak with a multiply-add loop (FMAPeak), which slow BLAS kernels cannot lower.
public final class StepBenchmark {
    public struct Configuration {
        /// What the benchmark trains: model, batch, threads, synchronisation, K, losses, as
        /// `gantry train` takes them. `steps` is the number of timed iterations here
        /// (`defaultTimedSteps` when not given); the data is always synthetic.
        public var options: TrainingOptions
        /// Untimed iterations before the timed ones.
        public var warmupSteps: Int
        /// Side of the square sgemm that measures the reference peak.
        public var sgemmSize = 1024
        public var sgemmRepetitions = 10
        /// Runs of the multiply-add loop that measures the core's peak (FMAPeak).
        public var fmaRepetitions = 100

        public static let defaultTimedSteps = 20

        public init(options: TrainingOptions, warmupSteps: Int) {
            self.options = options
            self.warmupSteps = warmupSteps
        }

        public var timedSteps: Int { options.steps ?? Self.defaultTimedSteps }
    }

    public let configuration: Configuration
    let communicator: Communicator
    /// The trainer driven, on synthetic data.
    let trainer: Trainer
    /// The sgemm rates (best and median), measured before the model was built (its matrices
    /// are freed by then, so they do not add to the peak resident set of training).
    let sgemm: (median: Double, best: Double)
    /// One core's peak GFLOP/s (FMAPeak), at `fmaISA`.
    let fmaPeak: Double
    let fmaISA = min(CPUFeatures.current.vectorISA, .avx512)  // bfloat16 adds nothing to float throughput

    /// Validates the configuration through TrainingPlan (throws a GantryError naming the
    /// flag), sets the BLAS threads, measures sgemm on them and the FMA peak, and builds the
    /// trainer.
    /// Performs no collective operation (see Job.agree).
    public init(_ configuration: Configuration, communicator: Communicator) throws {
        guard configuration.warmupSteps >= 0 else {
            throw GantryError.usage("--warmup must be 0 or more, got \(configuration.warmupSteps)")
        }
        self.configuration = configuration
        self.communicator = communicator
        var options = configuration.options
        options.steps = configuration.warmupSteps + configuration.timedSteps
        guard let model = ModelKind(rawValue: options.model) else {
            throw GantryError.usage("unknown model '\(options.model)' (--model takes one of: \(ModelKind.names))")
        }
        // Two global batches of samples: the sampler crosses an epoch boundary (and reshuffles)
        // every other step, as a long run does now and then.
        let globalBatch = try TrainingPlan.batchSizes(options: options, worldSize: communicator.size).global
        let dataset = SyntheticSamples(shape: model.sampleShape, count: 2 * globalBatch, seed: options.seed)
        let plan = try TrainingPlan(options: options, worldSize: communicator.size, dataset: dataset)
        BLAS.setThreads(options.threads)
        sgemm = SGEMMRate.measure(size: configuration.sgemmSize, repetitions: configuration.sgemmRepetitions)
        fmaPeak = FMAPeak.measure(isa: fmaISA, repetitions: configuration.fmaRepetitions)
        trainer = try Trainer(plan: plan, communicator: communicator, output: nil)
    }

    /// Runs the warm-up and the timed iterations (every rank of the job must call it: the
    /// iterations hold allreduces).
    public func run() throws -> StepBenchmarkReport {
        for _ in 0..<configuration.warmupSteps { _ = try advance() }
        try communicator.barrier()
        // Filled in place: the timed loop allocates nothing itself.
        let steps = configuration.timedSteps
        var seconds = [Double](repeating: 0, count: steps)
        var timings = [PhaseTiming](repeating: PhaseTiming(), count: steps)
        var losses = StepLosses()
        for i in 0..<steps {
            trainer.timing = PhaseTiming()
            let start = Clock.now()
            losses = try advance()
            seconds[i] = Clock.now() - start
            timings[i] = trainer.timing
        }

        let plan = trainer.plan, batch = Double(plan.localBatch)
        let cost = IterationCost(generator: trainer.generator, discriminator: trainer.discriminator,
                                 dSteps: plan.options.dSteps)
        let iteration = median(seconds)
        let achieved = 2 * Double(cost.total) * batch / iteration / 1e9
        var partMilliseconds: [String: Double] = [:]
        for part in StepBenchmarkReport.parts { partMilliseconds[part.key] = 1000 * median(timings.map { $0[keyPath: part.time] }) }
        return StepBenchmarkReport(
            model: plan.model.rawValue, batch: plan.localBatch, worldSize: communicator.size,
            threads: plan.options.threads, steps: steps, warmupSteps: configuration.warmupSteps,
            synchronization: plan.options.synchronization.summary,
            imagesPerS: batch / iteration,
            globalImagesPerS: batch * Double(communicator.size) / iteration,
            msPerIteration: 1000 * iteration,
            msPerIterationMean: 1000 * seconds.reduce(0, +) / Double(seconds.count),
            msPerIterationMin: 1000 * seconds.min()!,
            msPerPart: partMilliseconds,
            flopsPerImage: 2 * cost.total,
            flopsPerImageByPart: ["g_forward": 2 * cost.generatorForward, "d_phase": 2 * cost.discriminatorPhase,
                                  "g_phase": 2 * cost.generatorPhase],
            gflops: achieved,
            sgemmN: configuration.sgemmSize,
            sgemmRepetitions: configuration.sgemmRepetitions,
            sgemmGflops: sgemm.best,
            sgemmGflopsMedian: sgemm.median,
            shareOfPeak: achieved / sgemm.best,
            peakResidentMb: Memory.peakResidentBytes / 1e6,
            modelMemoryMb: Double(4 * trainer.allocatedFloats) / 1e6,
            lossD: losses.lossD, lossG: losses.lossG,
            blas: BLAS.configuration,
            kernels: kernelFigures(achieved: achieved),
            cpuAffinity: CPUAffinity.current())
    }

    /// The BLAS, the CPU, and the rates against the FMA peak of the cores the BLAS threads use.
    func kernelFigures(achieved: Double) -> StepBenchmarkReport.Kernels {
        let cores = fmaPeak * Double(trainer.plan.options.threads)
        return StepBenchmarkReport.Kernels(blas: .current, cpu: .current,
                                           convolutions: ConvolutionBackend.describe([trainer.generator, trainer.discriminator]),
                                           fmaIsa: fmaISA.name, fmaPeakGflops: fmaPeak,
                                           shareOfFmaPeak: achieved / cores, sgemmShareOfFmaPeak: sgemm.best / cores)
    }

    /// One iteration of the trainer, and its step counter moved on as `Trainer.run` does.
    func advance() throws -> StepLosses {
        let losses = try trainer.trainOneIteration()
        trainer.step += 1
        return losses
    }
}
