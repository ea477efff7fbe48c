import Foundation
import GantryMPI
import GantryNN
import GantryData

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
    public var imagesPerSecond: Double
    /// Seconds per iteration spent in each part, on rank 0.
    public var seconds: [String: Double]

    /// Steps in this window whose update was skipped for non-finite values.
    public var skippedSteps: Int

    init(step: Int, window: MetricsWindow, globalBatch: Int, timing: PhaseTiming) {
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
        let iterations = window.steps + window.skipped
        let perStep = 1 / Double(max(iterations, 1))
        imagesPerSecond = timing.total > 0 ? Double(globalBatch * iterations) / timing.total : 0
        seconds = ["data": timing.data * perStep,
                   "d_compute": timing.discriminatorCompute * perStep,
                   "d_communication": timing.discriminatorCommunication * perStep,
                   "g_compute": timing.generatorCompute * perStep,
                   "g_communication": timing.generatorCommunication * perStep,
                   "optimizer": timing.optimizer * perStep]
    }

    enum CodingKeys: String, CodingKey {
        case step, epoch, seconds
        case lossD = "loss_d", lossG = "loss_g", dReal = "d_real", dFake = "d_fake"
        case jsdEstimate = "jsd_estimate", imagesPerSecond = "images_per_s", skippedSteps = "skipped_steps"
    }
}

/// Everything rank 0 writes in the run directory (`--out`):
///
///     config.json                      how to repeat the run: flags, world size, versions
///     metrics.jsonl                    one MetricsRecord per log step
///     samples/step-NNNNNN.png          a grid from a fixed noise batch (2-D: a scatter plot)
///     checkpoints/step-NNNNNN.gckpt    written atomically
///
/// and the console: one progress line per log step.
public final class RunOutput {
    public let directory: String
    private let metrics: MetricsLog
    private let startTime = Clock.now()
    private var startStep = 0
    private var sampleGenerator: Network?
    private var sampleNoise: FloatBuffer?
    private var realPoints: [(Float, Float)] = []
    private var plotRange: Float = 1
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

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

        let now = ISO8601DateFormatter().string(from: Date())
        var config: RunConfig
        if let resumedStep, fileExists(configPath) {
            do {
                config = try JSONDecoder().decode(RunConfig.self, from: Data(AtomicFile.read(configPath)))
            } catch {
                throw GantryError("cannot read \(configPath) to record the resumption: \(error)")
            }
            config.resumes.append(Resumption(step: resumedStep, worldSize: plan.worldSize, globalBatch: plan.globalBatch,
                                             totalSteps: plan.totalSteps, checkpoint: checkpointPath ?? "", time: now,
                                             changed: changed, arguments: arguments))
        } else {
            config = RunConfig(options: plan.options, worldSize: plan.worldSize, localBatch: plan.localBatch,
                               globalBatch: plan.globalBatch, totalSteps: plan.totalSteps,
                               dataset: DatasetDescription(name: plan.dataset.name, count: plan.dataset.count),
                               versions: ["gantry": GantryVersion.current, "mpi": Communicator.libraryVersion,
                                          "openblas": BLAS.configuration],
                               host: ProcessInfo.processInfo.hostName, started: now, arguments: arguments,
                               resumedFrom: checkpointPath, resumes: [])
        }
        let configEncoder = JSONEncoder()
        configEncoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(Array(try configEncoder.encode(config)) + [10], to: configPath)
        metrics = try MetricsLog(path: "\(directory)/metrics.jsonl", keepingStepsThrough: resumedStep)
    }

    func announce(plan: TrainingPlan, generator: Network, discriminator: Network, startStep: Int) {
        self.startStep = startStep
        let from = startStep > 0 ? ", resuming at step \(startStep)" : ""
        print("gantry \(GantryVersion.current): training \(plan.model.rawValue) on \(plan.dataset.name) "
              + "(\(plan.dataset.count) samples) with \(plan.worldSize) rank\(plan.worldSize == 1 ? "" : "s"), "
              + "batch \(plan.localBatch) per rank (global \(plan.globalBatch)), \(plan.totalSteps) steps\(from)")
        print("G: \(generator.parameters.count) parameters, D: \(discriminator.parameters.count) parameters; run directory \(directory)")
        fflush(stdout)
    }

    func log(_ record: MetricsRecord, totalSteps: Int) throws {
        try metrics.append(Array(try encoder.encode(record)) + [10])
        let elapsed = Clock.now() - startTime
        let remaining = elapsed / Double(max(record.step - startStep, 1)) * Double(totalSteps - record.step)
        let stepText = String(record.step).rightAligned(String(totalSteps).count)
        let skipped = record.skippedSteps > 0 ? "  skipped \(record.skippedSteps) non-finite" : ""
        print("step \(stepText)/\(totalSteps)  epoch \(record.epoch)  "
              + "loss_d \(fixed(record.lossD, 4))  loss_g \(fixed(record.lossG, 4))  "
              + "D(x) \(fixed(record.dReal, 3))  D(G(z)) \(fixed(record.dFake, 3))  "
              + "\(fixed(record.imagesPerSecond, 0)) img/s  ETA \(duration(remaining))\(skipped)")
        fflush(stdout)
    }

    func writeSamples(step: Int, generator: Network, plan: TrainingPlan) throws {
        let path = "\(directory)/samples/step-\(padded(step)).png"
        try renderSamples(generator: generator, model: plan.model, dataset: plan.dataset, seed: plan.options.seed).write(to: path)
    }

    /// The sample picture of `generator`: a grid of 64 images from a fixed noise batch, or for
    /// 2-D data 1,000 generated points drawn over 1,000 real ones.
    func renderSamples(generator: Network, model: ModelKind, dataset: Dataset, seed: UInt64) throws -> PNGImage {
        let isPlanar = model == .mlp
        let count = isPlanar ? 1000 : 64
        if sampleGenerator == nil {
            sampleGenerator = model.makeGenerator(batch: count)
            sampleNoise = fixedNoise(model: model, count: count, seed: seed)
            if let mixture = dataset as? Mixture2D {
                realPoints = points(of: mixture, count: count)
                plotRange = mixture.plotRange
            }
        }
        let sampler = sampleGenerator!
        sampler.copyWeights(from: generator)
        let images = sampler.forward(sampleNoise!.pointer, training: false)
        if isPlanar {
            let fake = (0..<count).map { (images[$0], images[count + $0]) }
            return ScatterPlot.make(real: realPoints, fake: fake, range: plotRange)
        }
        let shape = model.sampleShape
        return ImageGrid.make(batch: images, count: count, channels: shape.channels, height: shape.height, width: shape.width)
    }

    func writeCheckpoint(_ checkpoint: Checkpoint, keep: Int, keepEvery: Int?) throws {
        let checkpoints = CheckpointDirectory(runDirectory: directory)
        try checkpoint.write(to: checkpoints.file(step: checkpoint.header.step))
        checkpoints.prune(keep: keep, keepEvery: keepEvery)
    }

    func stopped(step: Int) {
        print("stopped on SIGTERM/SIGINT at step \(step): checkpoint \(CheckpointDirectory(runDirectory: directory).file(step: step)); "
              + "continue with: gantry train --out \(directory) --resume auto")
        fflush(stdout)
    }

    func finish(plan: TrainingPlan) {
        print("done in \(duration(Clock.now() - startTime)): samples in \(directory)/samples, checkpoints in \(directory)/checkpoints, metrics in \(directory)/metrics.jsonl")
        fflush(stdout)
    }
}

/// config.json: what a run was asked to do and what it ran on.
struct RunConfig: Codable {
    var options: TrainingOptions
    var worldSize: Int
    var localBatch: Int
    var globalBatch: Int
    var totalSteps: Int
    var dataset: DatasetDescription
    var versions: [String: String]
    var host: String
    var started: String
    var arguments: [String]
    /// The checkpoint a run directory was seeded from (`--resume FILE` into a new `--out`).
    var resumedFrom: String?
    /// Every time the run was resumed: at which step, on how many ranks, with which flags changed.
    var resumes: [Resumption]

    enum CodingKeys: String, CodingKey {
        case options, dataset, versions, host, started, arguments, resumes
        case worldSize = "world_size", localBatch = "local_batch", globalBatch = "global_batch", totalSteps = "total_steps"
        case resumedFrom = "resumed_from"
    }
}

/// One resumption of a run, recorded in config.json: changed flags take effect at `step`.
struct Resumption: Codable {
    var step: Int
    var worldSize: Int
    var globalBatch: Int
    var totalSteps: Int
    var checkpoint: String
    var time: String
    var changed: [String: String]
    var arguments: [String]

    enum CodingKeys: String, CodingKey {
        case step, checkpoint, time, changed, arguments
        case worldSize = "world_size", globalBatch = "global_batch", totalSteps = "total_steps"
    }
}

struct DatasetDescription: Codable {
    var name: String
    var count: Int
}

/// Noise for sample pictures: the same for every call with the same seed, so that grids of
/// successive steps show the same z's evolving.
func fixedNoise(model: ModelKind, count: Int, seed: UInt64) -> FloatBuffer {
    let noise = FloatBuffer(count: model.noiseDimension * count)
    CounterRandom(seed: seed, stream: CounterRandom.Stream.evaluation)
        .fillNormalBatch(a: 0, firstSample: 0, count: count, dimension: model.noiseDimension, into: noise.pointer)
    return noise
}

/// The first `count` points of a 2-D dataset.
func points(of dataset: Dataset, count: Int) -> [(Float, Float)] {
    let buffer = FloatBuffer(count: 2 * count)
    dataset.writeBatch(indices: 0..<count, into: buffer.pointer)
    return (0..<count).map { (buffer[$0], buffer[count + $0]) }
}

func padded(_ step: Int) -> String {
    let text = String(step)
    return String(repeating: "0", count: max(0, 6 - text.count)) + text
}

func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" }
    if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
    return "\(s)s"
}
