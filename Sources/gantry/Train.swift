import ArgumentParser
import Foundation
import GantryTrain
import GantryNN

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a GAN, data-parallel across the MPI ranks of this job.",
        discussion: """
        Every rank trains a replica of G and D on its contiguous slice of each global batch, \
        and the ranks average D's gradients, then G's, with MPI allreduce. Rank 0 writes \
        config.json, metrics.jsonl, samples/ and checkpoints/ under --out.

        With --resume, flags not given keep the checkpoint's values; --model and --seed \
        cannot change. SIGTERM or SIGINT makes every rank stop at the next step boundary, \
        write a checkpoint and exit 0; a second signal ends at once.
        """)

    @Option(help: "Model: mlp (2-D data), dcgan28 (1x28x28), dcgan32 (3x32x32). Default dcgan28.")
    var model: String?

    @Option(help: "Dataset: ring8, grid25, glyphs (built in), idx:FILE_OR_DIR (MNIST-format images, raw or .gz), or color32:SPEC (3x32x32 colour version of glyphs or idx:…, for dcgan32). Default glyphs.")
    var data: String?

    @Option(help: "Training iterations (one iteration = --d-steps D steps and one G step). Default 1000.")
    var steps: Int?

    @Option(help: "Train for this many passes over the dataset instead of --steps.")
    var epochs: Int?

    @Option(help: "Samples per rank in each batch. Default 64.")
    var batch: Int?

    @Option(name: .customLong("global-batch"), help: "Samples per global batch, divided evenly across the ranks.")
    var globalBatch: Int?

    @Option(name: .customLong("lr-g"), help: "Generator learning rate (Adam). Default 0.0002.")
    var learningRateG: Float?

    @Option(name: .customLong("lr-d"), help: "Discriminator learning rate (Adam). Default 0.0002.")
    var learningRateD: Float?

    @Option(help: "Adam β1. Default 0.5.")
    var beta1: Float?

    @Option(help: "Adam β2. Default 0.999.")
    var beta2: Float?

    @Option(name: .customLong("d-steps"), help: "Discriminator steps per generator step (K). Default 1.")
    var dSteps: Int?

    @Option(name: .customLong("g-loss"), help: "Generator loss: non-saturating (-log D(G(z)), the default) or minimax (log(1 - D(G(z)))).")
    var generatorLoss: GeneratorLoss?

    @Option(help: "Seed for initialisation, data order and noise. Default 1.")
    var seed: UInt64?

    @Option(help: "Run directory for config, metrics, samples and checkpoints. A new run refuses one that holds a run. Default runs/MODEL-DATA-TIME.")
    var out: String?

    @Option(help: "Continue a run: 'auto' (the newest valid checkpoint in --out; start afresh if there is none) or a checkpoint file.")
    var resume: String?

    @Option(name: .customLong("log-every"), help: "Steps between metrics lines. Default 50.")
    var logEvery: Int?

    @Option(name: .customLong("sample-every"), help: "Steps between sample grids. Default 500.")
    var sampleEvery: Int?

    @Option(name: .customLong("checkpoint-every"), help: "Steps between checkpoints (one is always written at the end). Default 1000.")
    var checkpointEvery: Int?

    @Option(help: "Checkpoints to keep, the newest ones; 0 keeps all. Default 0.")
    var keep: Int?

    @Option(name: .customLong("keep-every"), help: "Also keep every checkpoint whose step is a multiple of this.")
    var keepEvery: Int?

    @Option(name: .customLong("on-nan"), help: "Non-finite losses or gradients: stop (default; the last good checkpoint stays the newest) or skip-step.")
    var onNaN: NonFinitePolicy?

    @Option(name: .customLong("check-every"), help: "Steps between replica checks (parameter checksums compared across ranks). Default 100.")
    var checkEvery: Int?

    @Option(help: "BLAS threads per rank. Default 1.")
    var threads: Int?

    @Flag(name: .customLong("sync-bn"), inversion: .prefixedNo,
          help: "SyncBatchNorm: normalise with the statistics of the global batch, so k ranks follow the trajectory of one. Default off.")
    var syncBatchNorm: Bool?

    @OptionGroup var synchronization: SynchronizationFlags

    /// Applies the flags given on the command line, and only those, to `options`.
    func applyGivenFlags(to options: inout TrainingOptions) throws {
        if let model { options.model = model }
        if let data { options.data = data }
        if let steps { options.steps = steps; options.epochs = nil }
        if let epochs { options.epochs = epochs; options.steps = steps }
        if let batch { options.batch = batch; options.globalBatch = globalBatch }
        if let globalBatch { options.globalBatch = globalBatch; options.batch = batch }
        if let learningRateG { options.learningRateG = learningRateG }
        if let learningRateD { options.learningRateD = learningRateD }
        if let beta1 { options.beta1 = beta1 }
        if let beta2 { options.beta2 = beta2 }
        if let dSteps { options.dSteps = dSteps }
        if let seed { options.seed = seed }
        if let out { options.out = out }
        if let logEvery { options.logEvery = logEvery }
        if let sampleEvery { options.sampleEvery = sampleEvery }
        if let checkpointEvery { options.checkpointEvery = checkpointEvery }
        if let keep { options.keep = keep }
        if let keepEvery { options.keepEvery = keepEvery }
        if let checkEvery { options.checkEvery = checkEvery }
        if let threads { options.threads = threads }
        if let syncBatchNorm { options.syncBatchNorm = syncBatchNorm }
        if let generatorLoss { options.generatorLoss = generatorLoss }
        if let onNaN { options.onNonFinite = onNaN }
        try synchronization.apply(to: &options)
    }

    func run() throws {
        let arguments = CommandLine.arguments
        Job.run { communicator in
            // Stage 1, rank 0: find and read the checkpoint to resume from, if any.
            let found: ResumePoint? = Job.agree(communicator) {
                guard communicator.isRoot, let resume else { return nil }
                return try ResumePoint.find(resume, runDirectory: out, warn: Job.warn)
            }
            // Every rank gets rank 0's bytes and validates them itself.
            let bytes = try communicator.broadcast(found?.bytes ?? [])
            let checkpoint: Checkpoint? = Job.agree(communicator) {
                bytes.isEmpty ? nil : try Checkpoint.decode(bytes, source: found?.path ?? "the checkpoint from rank 0")
            }

            // Stage 2: the options, the plan, rank 0's run directory, this rank's replica.
            let trainer: Trainer = Job.agree(communicator) {
                var options = TrainingOptions()
                var changed: [String: String] = [:]
                if let checkpoint {
                    (options, changed) = try TrainingOptions.resuming(checkpoint.header, overrides: applyGivenFlags)
                    options.out = out ?? found.map { ResumePoint.runDirectory(of: $0.path) } ?? options.out
                } else {
                    try applyGivenFlags(to: &options)
                    options.out = out ?? "runs/\(options.model)-\(options.data.replacingOccurrences(of: "/", with: "_"))-\(timestamp())"
                }
                BLAS.setThreads(options.threads)
                let plan = try TrainingPlan(options: options, worldSize: communicator.size)
                let output = communicator.isRoot
                    ? try RunOutput(directory: options.out, plan: plan, arguments: arguments,
                                    resumingAt: checkpoint?.header.step, from: found?.path, changed: changed)
                    : nil
                return try Trainer(plan: plan, communicator: communicator, output: output, resumingFrom: checkpoint)
            }
            try trainer.run()
        }
    }
}

/// UTC time for default run directory names, e.g. 20261124-230512.
func timestamp() -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: Date())
}
