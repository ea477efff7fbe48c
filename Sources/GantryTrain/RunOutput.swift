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

    init(step: Int, epoch: Int, lossD: Double, lossG: Double, dReal: Double, dFake: Double,
         steps: Int, globalBatch: Int, timing: PhaseTiming) {
        self.step = step
        self.epoch = epoch
        self.lossD = lossD
        self.lossG = lossG
        self.dReal = dReal
        self.dFake = dFake
        jsdEstimate = (log(4) - lossD) / 2
        let perStep = 1 / Double(max(steps, 1))
        imagesPerSecond = timing.total > 0 ? Double(globalBatch * steps) / timing.total : 0
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
        case jsdEstimate = "jsd_estimate", imagesPerSecond = "images_per_s"
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
    private let metricsHandle: FileHandle
    private let startTime = Clock.now()
    private var sampleGenerator: Network?
    private var sampleNoise: FloatBuffer?
    private var realPoints: [(Float, Float)] = []
    private var plotRange: Float = 1
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Creates the run directory. Refuses one that already holds a run, so that a good run
    /// is never overwritten.
    public init(directory: String, plan: TrainingPlan, arguments: [String]) throws {
        self.directory = directory
        for existing in ["metrics.jsonl", "config.json", "checkpoints"] where fileExists("\(directory)/\(existing)") {
            throw GantryError("--out \(directory) already holds a run (\(existing)); choose a new directory")
        }
        try makeDirectories(directory)
        try makeDirectories("\(directory)/samples")
        try makeDirectories("\(directory)/checkpoints")

        let config = RunConfig(options: plan.options, worldSize: plan.worldSize, localBatch: plan.localBatch,
                               globalBatch: plan.globalBatch, totalSteps: plan.totalSteps,
                               dataset: DatasetDescription(name: plan.dataset.name, count: plan.dataset.count),
                               versions: ["gantry": GantryVersion.current, "mpi": Communicator.libraryVersion,
                                          "openblas": BLAS.configuration],
                               host: ProcessInfo.processInfo.hostName,
                               started: ISO8601DateFormatter().string(from: Date()),
                               arguments: arguments)
        let configEncoder = JSONEncoder()
        configEncoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(Array(try configEncoder.encode(config)) + [10], to: "\(directory)/config.json")

        let metricsPath = "\(directory)/metrics.jsonl"
        guard FileManager.default.createFile(atPath: metricsPath, contents: nil),
              let handle = FileHandle(forWritingAtPath: metricsPath) else {
            throw GantryError("cannot create \(metricsPath)")
        }
        metricsHandle = handle
    }

    func announce(plan: TrainingPlan, generator: Network, discriminator: Network) {
        print("gantry \(GantryVersion.current): training \(plan.model.rawValue) on \(plan.dataset.name) "
              + "(\(plan.dataset.count) samples) with \(plan.worldSize) rank\(plan.worldSize == 1 ? "" : "s"), "
              + "batch \(plan.localBatch) per rank (global \(plan.globalBatch)), \(plan.totalSteps) steps")
        print("G: \(generator.parameters.count) parameters, D: \(discriminator.parameters.count) parameters; run directory \(directory)")
        fflush(stdout)
    }

    func log(_ record: MetricsRecord, totalSteps: Int) throws {
        let line = Array(try encoder.encode(record)) + [10]
        do {
            try metricsHandle.write(contentsOf: Data(line))
        } catch {
            throw GantryError("cannot append to \(directory)/metrics.jsonl: \(error.localizedDescription)")
        }
        let elapsed = Clock.now() - startTime
        let remaining = elapsed / Double(record.step) * Double(totalSteps - record.step)
        let width = String(totalSteps).count
        let stepText = String(repeating: " ", count: max(0, width - String(record.step).count)) + String(record.step)
        print("step \(stepText)/\(totalSteps)  epoch \(record.epoch)  "
              + "loss_d \(fixed(record.lossD, 4))  loss_g \(fixed(record.lossG, 4))  "
              + "D(x) \(fixed(record.dReal, 3))  D(G(z)) \(fixed(record.dFake, 3))  "
              + "\(fixed(record.imagesPerSecond, 0)) img/s  ETA \(duration(remaining))")
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

    func writeCheckpoint(_ checkpoint: Checkpoint) throws {
        try checkpoint.write(to: "\(directory)/checkpoints/\(Checkpoint.fileName(step: checkpoint.header.step))")
    }

    func finish(plan: TrainingPlan) {
        try? metricsHandle.synchronize()
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

    enum CodingKeys: String, CodingKey {
        case options, dataset, versions, host, started, arguments
        case worldSize = "world_size", localBatch = "local_batch", globalBatch = "global_batch", totalSteps = "total_steps"
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
    let random = CounterRandom(seed: seed, stream: CounterRandom.Stream.evaluation)
    for j in 0..<count {
        random.fillNormal(a: 0, b: UInt64(j), count: model.noiseDimension, into: noise.pointer + j, stride: count)
    }
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
