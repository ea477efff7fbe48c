import ArgumentParser
import GantryTrain
import GantryNN
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a GAN, data-parallel across the MPI ranks of this job.",
        discussion: """
        Every rank trains a replica of G and D on its contiguous slice of each global batch, \
        and the ranks average D's gradients, then G's, with MPI allreduce. Rank 0 writes \
        config.json, metrics.jsonl, samples/ and checkpoints/ under --out.
        """)

    @Option(help: "Model: mlp (2-D data), dcgan28 (1x28x28), dcgan32 (3x32x32).")
    var model = "dcgan28"

    @Option(help: "Dataset: ring8, grid25, glyphs (built in), or idx:FILE_OR_DIR (MNIST-format images, raw or .gz).")
    var data = "glyphs"

    @Option(help: "Training iterations (one iteration = --d-steps D steps and one G step). Default 1000.")
    var steps: Int?

    @Option(help: "Train for this many passes over the dataset instead of --steps.")
    var epochs: Int?

    @Option(help: "Samples per rank in each batch (default 64).")
    var batch: Int?

    @Option(name: .customLong("global-batch"), help: "Samples per global batch, divided evenly across the ranks.")
    var globalBatch: Int?

    @Option(name: .customLong("lr-g"), help: "Generator learning rate (Adam).")
    var learningRateG: Float = 2e-4

    @Option(name: .customLong("lr-d"), help: "Discriminator learning rate (Adam).")
    var learningRateD: Float = 2e-4

    @Option(help: "Adam β1.")
    var beta1: Float = 0.5

    @Option(help: "Adam β2.")
    var beta2: Float = 0.999

    @Option(name: .customLong("d-steps"), help: "Discriminator steps per generator step (K).")
    var dSteps = 1

    @Option(name: .customLong("g-loss"), help: "Generator loss: non-saturating (-log D(G(z))) or minimax (log(1 - D(G(z)))).")
    var generatorLoss = "non-saturating"

    @Option(help: "Seed for initialisation, data order and noise.")
    var seed: UInt64 = 1

    @Option(help: "Run directory for config, metrics, samples and checkpoints (must not hold a run). Default runs/MODEL-DATA-TIME.")
    var out: String?

    @Option(name: .customLong("log-every"), help: "Steps between metrics lines.")
    var logEvery = 50

    @Option(name: .customLong("sample-every"), help: "Steps between sample grids.")
    var sampleEvery = 500

    @Option(name: .customLong("checkpoint-every"), help: "Steps between checkpoints (one is always written at the end).")
    var checkpointEvery = 1000

    @Option(name: .customLong("check-every"), help: "Steps between replica checks (parameter checksums compared across ranks).")
    var checkEvery = 100

    @Option(help: "BLAS threads per rank.")
    var threads = 1

    func run() throws {
        var options = TrainingOptions()
        options.model = model
        options.data = data
        options.steps = steps
        options.epochs = epochs
        options.batch = batch
        options.globalBatch = globalBatch
        options.learningRateG = learningRateG
        options.learningRateD = learningRateD
        options.beta1 = beta1
        options.beta2 = beta2
        options.dSteps = dSteps
        options.seed = seed
        options.logEvery = logEvery
        options.sampleEvery = sampleEvery
        options.checkpointEvery = checkpointEvery
        options.checkEvery = checkEvery
        options.threads = threads
        options.out = out ?? "runs/\(model)-\(data.replacingOccurrences(of: "/", with: "_"))-\(timestamp())"
        let arguments = CommandLine.arguments

        Job.run(setup: { communicator in
            guard let loss = GeneratorLoss(rawValue: generatorLoss) else {
                throw GantryError("unknown generator loss '\(generatorLoss)' (--g-loss takes non-saturating or minimax)")
            }
            options.generatorLoss = loss
            BLAS.setThreads(options.threads)
            let plan = try TrainingPlan(options: options, worldSize: communicator.size)
            let output = communicator.isRoot ? try RunOutput(directory: options.out, plan: plan, arguments: arguments) : nil
            return try Trainer(plan: plan, communicator: communicator, output: output)
        }, work: { trainer, _ in
            try trainer.run()
        })
    }
}

/// UTC time for default run directory names, e.g. 20261124-230512.
func timestamp() -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: Date())
}
