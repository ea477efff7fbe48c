import FoundationEssentials
import Glibc
import GantryData
import GantryMPI
import GantryNN

/// Everything rank 0 writes in the run directory (`--out`):
///
///     config.json                      how to repeat the run: flags, world size, versions
///     metrics.jsonl                    one MetricsRecord per log step
///     samples/step-NNNNNN.png          a grid from a fixed noise batch (2-D: a scatter plot)
///     checkpoints/step-NNNNNN.gckpt    written atomically
///     checkpoints/best.gckpt           --eval-every: the generator with the best Fréchet distance so far
///     events.out.tfevents.*            the metrics, samples and config for TensorBoard, one file per start
///
/// and the console: one progress line per log step.
public final class RunOutput {
    public let directory: String
    /// The run's id (RunIdentity), written into every checkpoint.
    public let runId: String
    private let metrics: MetricsLog
    private let events: EventFile
    private let startTime = Clock.now()
    private var startStep = 0
    /// The generator of the sample grids, built at the grid's batch on first use, and its
    /// fixed noise.
    private var sampleGenerator: Network?
    private var sampleNoise: FloatBuffer?
    /// The best score of the `--eval-every` records kept in metrics.jsonl (a resumed run's).
    public private(set) var bestEvaluation: Double?

    /// Opens the run directory. A new run refuses a directory that already holds one, so a
    /// good run is never overwritten. A resumed run (`resumingAt` the checkpoint's step)
    /// records the resumption and the changed flags in config.json and keeps the metrics
    /// lines up to that step: the steps after it are about to be trained again.
    public init(directory: String, plan: TrainingPlan, arguments: [String],
                resumingAt resumedStep: Int? = nil, from checkpointPath: String? = nil, changed: [String: String] = [:]) throws {
        self.directory = directory
        let configPath = "\(directory)/config.json"
        if resumedStep == nil {
            for existing in ["metrics.jsonl", "config.json", "checkpoints"] where fileExists("\(directory)/\(existing)") {
                throw GantryError("--out \(directory) already holds a run (\(existing)); choose a new directory, or continue it with --resume auto")
            }
        }
        try makeDirectories(directory)
        try makeDirectories("\(directory)/samples")
        try makeDirectories("\(directory)/checkpoints")

        let now = Date().formatted(.iso8601)
        var config: RunConfig
        if let resumedStep, fileExists(configPath) {
            do {
                config = try JSONCoding.decode(RunConfig.self, from: AtomicFile.read(configPath))
            } catch {
                throw GantryError("cannot read \(configPath) to record the resumption: \(error)")
            }
            // A run directory from before run ids gets one now.
            config.runId = config.runId ?? RunIdentity.random()
            config.resumes.append(Resumption(step: resumedStep, worldSize: plan.worldSize, globalBatch: plan.globalBatch,
                                             totalSteps: plan.totalSteps, checkpoint: checkpointPath ?? "", time: now,
                                             changed: changed, arguments: arguments))
        } else {
            config = RunConfig(options: plan.options.settings, worldSize: plan.worldSize, localBatch: plan.localBatch,
                               globalBatch: plan.globalBatch, totalSteps: plan.totalSteps,
                               dataset: DatasetDescription(name: plan.dataset.name, count: plan.dataset.count),
                               versions: ["gantry": GantryVersion.current, "mpi": Communicator.libraryVersion,
                                          "openblas": BLAS.configuration, "onednn": ConvolutionBackend.oneDNNVersion],
                               host: ProcessInfo.processInfo.hostName, started: now, arguments: arguments,
                               runId: RunIdentity.random(), resumedFrom: checkpointPath, resumes: [],
                               blas: .current, cpu: .current)
        }
        runId = config.runId!
        let configText = try JSONCoding.encode(config, pretty: true) + [10]
        try AtomicFile.write(configText, to: configPath)
        metrics = try MetricsLog(path: "\(directory)/metrics.jsonl", keepingStepsThrough: resumedStep)
        bestEvaluation = try EvaluationRecord.bestScore(inMetricsFile: metrics.path)
        // The first step trained now is the one after the checkpoint's; the config text is
        // recorded at it, as the flags in effect from there on.
        let firstStep = (resumedStep ?? 0) + 1
        events = try EventFile(directory: directory, firstStep: firstStep)
        try events.writeText(tag: "config", step: firstStep, configText)
    }

    func announce(plan: TrainingPlan, generator: Network, discriminator: Network, startStep: Int) {
        self.startStep = startStep
        let from = startStep > 0 ? ", resuming at step \(startStep)" : ""
        print("gantry \(GantryVersion.current): training \(plan.model.rawValue) on \(printable(plan.dataset.name)) "
              + "(\(plan.dataset.count) samples) with \(plan.worldSize) rank\(plan.worldSize == 1 ? "" : "s"), "
              + "batch \(plan.localBatch) per rank (global \(plan.globalBatch)), \(plan.totalSteps) steps\(from)")
        print("G: \(generator.parameters.count) parameters, D: \(discriminator.parameters.count) parameters; run directory \(directory)")
        print(CPUDescription.startupLine())
        fflush(stdout)
    }

    func log(_ record: MetricsRecord, totalSteps: Int) throws {
        try metrics.append(try JSONCoding.encode(record) + [10])
        try events.writeScalars(step: record.step, record.tensorBoardScalars)
        let elapsed = Clock.now() - startTime
        let remaining = elapsed / Double(max(record.step - startStep, 1)) * Double(totalSteps - record.step)
        let stepText = String(record.step).rightAligned(String(totalSteps).count)
        let skipped = record.skippedSteps > 0 ? "  skipped \(record.skippedSteps) non-finite" : ""
        print("step \(stepText)/\(totalSteps)  epoch \(record.epoch)  "
              + "loss_d \(fixed(record.lossD, 4))  loss_g \(fixed(record.lossG, 4))  "
              + "D(x) \(fixed(record.dReal, 3))  D(G(z)) \(fixed(record.dFake, 3))  "
              + "\(fixed(record.imagesPerS, 0)) img/s  ETA \(duration(remaining))\(skipped)")
        fflush(stdout)
    }

    /// An `--eval-every` record: metrics.jsonl, TensorBoard (`eval/…`) and one console line.
    func log(_ record: EvaluationRecord) throws {
        try metrics.append(try JSONCoding.encode(record) + [10])
        try events.writeScalars(step: record.step, record.tensorBoardScalars)
        print("eval step \(record.step): " + record.metrics.summary + (record.best ? "  (best so far: checkpoints/best.gckpt)" : ""))
        fflush(stdout)
    }

    /// Writes `checkpoint` as checkpoints/best.gckpt, atomically (never a step-* name: retention
    /// and --resume auto leave it alone).
    func writeBestCheckpoint(_ checkpoint: Checkpoint) throws {
        var checkpoint = checkpoint
        checkpoint.header.runId = runId
        try checkpoint.write(to: "\(directory)/checkpoints/best.gckpt")
    }

    /// The run's sample picture of `step`: from G's moving average when the run keeps one
    /// (`average`), else from `generator`.
    func writeSamples(step: Int, generator: Network, average: GeneratorEMA?, plan: TrainingPlan) throws {
        let count = SamplePicture.count(for: plan.model)
        if sampleGenerator == nil {
            sampleGenerator = plan.architecture.makeGenerator(batch: count)
            sampleNoise = fixedNoise(model: plan.model, count: count, seed: plan.options.seed)
        }
        let sampler = sampleGenerator!
        if let average { average.copyWeights(into: sampler) } else { sampler.copyWeights(from: generator) }
        let samples = sampler.forward(sampleNoise!.pointer, training: false)
        let picture = SamplePicture.make(samples, count: count, model: plan.model, mixture: plan.dataset as? Mixture2D)
        // One encoding for both: TensorBoard shows the very bytes of the PNG file.
        let png = try picture.encoded()
        try AtomicFile.write(png, to: "\(directory)/samples/step-\(padded(step)).png")
        try events.writeImage(tag: "samples", step: step, picture: picture, png: png)
    }

    func writeCheckpoint(_ checkpoint: Checkpoint, keep: Int, keepEvery: Int?) throws {
        let checkpoints = CheckpointDirectory(runDirectory: directory)
        var checkpoint = checkpoint
        checkpoint.header.runId = runId
        try checkpoint.write(to: checkpoints.file(step: checkpoint.header.step))
        checkpoints.prune(keep: keep, keepEvery: keepEvery)
    }

    func stopped(step: Int, worldSize: Int) {
        print("stopped on SIGTERM/SIGINT at step \(step): checkpoint \(CheckpointDirectory(runDirectory: directory).file(step: step)); "
              + "continue with: \(Launcher().resumeCommand(runDirectory: directory, worldSize: worldSize))")
        fflush(stdout)
    }

    func finish(plan: TrainingPlan) {
        print("done in \(duration(Clock.now() - startTime)): samples in \(directory)/samples, checkpoints in \(directory)/checkpoints, metrics in \(directory)/metrics.jsonl")
        fflush(stdout)
    }
}
