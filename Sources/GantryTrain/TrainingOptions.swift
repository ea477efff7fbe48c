import GantryData

/// The generator's loss: the non-saturating −log D(G(z)) (default, strong gradients early in
/// training) or the original minimax log(1 − D(G(z))) that saturates when D wins.
public enum GeneratorLoss: String, CaseIterable, Codable {
    case nonSaturating = "non-saturating"
    case minimax
}

/// A user-facing error: one sentence naming the problem, printed as `gantry: error: …`.
public struct GantryError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Everything `gantry train` was asked to do, as given on the command line (recorded in
/// config.json so that a run can be repeated).
public struct TrainingOptions: Codable {
    public var model = "dcgan28"
    public var data = "glyphs"
    public var steps: Int?
    public var epochs: Int?
    public var batch: Int?
    public var globalBatch: Int?
    public var learningRateG: Float = 2e-4
    public var learningRateD: Float = 2e-4
    public var beta1: Float = 0.5
    public var beta2: Float = 0.999
    public var dSteps = 1
    public var generatorLoss = GeneratorLoss.nonSaturating
    public var seed: UInt64 = 1
    public var out = "runs/gantry"
    public var logEvery = 50
    public var sampleEvery = 500
    public var checkpointEvery = 1000
    public var checkEvery = 100
    public var threads = 1

    public init() {}

    enum CodingKeys: String, CodingKey {
        case model, data, steps, epochs, batch, seed, out, threads, beta1, beta2
        case globalBatch = "global_batch", learningRateG = "lr_g", learningRateD = "lr_d"
        case dSteps = "d_steps", generatorLoss = "g_loss", logEvery = "log_every"
        case sampleEvery = "sample_every", checkpointEvery = "checkpoint_every", checkEvery = "check_every"
    }
}

/// Options checked against the world size and the dataset: what a run will actually do.
public struct TrainingPlan {
    public let options: TrainingOptions
    public let model: ModelKind
    public let dataset: Dataset
    public let worldSize: Int
    public let localBatch: Int
    public let globalBatch: Int
    public let totalSteps: Int
    /// Real batches drawn per epoch (each D step draws one).
    public let batchesPerEpoch: Int

    /// Validates `options` for `worldSize` ranks; throws a GantryError naming the bad flag.
    public init(options: TrainingOptions, worldSize: Int) throws {
        self.options = options
        self.worldSize = worldSize
        guard let model = ModelKind(rawValue: options.model) else {
            throw GantryError("unknown model '\(options.model)' (--model takes one of: \(ModelKind.names))")
        }
        self.model = model

        switch (options.batch, options.globalBatch) {
        case (.some, .some):
            throw GantryError("--batch and --global-batch were both given; give one (--batch is per rank)")
        case (.some(let batch), nil):
            guard batch > 0 else { throw GantryError("--batch must be a positive number of samples per rank, got \(batch)") }
            localBatch = batch
            globalBatch = batch * worldSize
        case (nil, .some(let global)):
            guard global > 0 else { throw GantryError("--global-batch must be positive, got \(global)") }
            guard global % worldSize == 0 else {
                throw GantryError("--global-batch \(global) does not divide evenly across \(worldSize) ranks")
            }
            localBatch = global / worldSize
            globalBatch = global
        case (nil, nil):
            localBatch = 64
            globalBatch = 64 * worldSize
        }
        for (flag, value) in [("--d-steps", options.dSteps), ("--log-every", options.logEvery),
                              ("--sample-every", options.sampleEvery), ("--checkpoint-every", options.checkpointEvery),
                              ("--check-every", options.checkEvery), ("--threads", options.threads)] where value <= 0 {
            throw GantryError("\(flag) must be positive, got \(value)")
        }
        for (flag, value) in [("--lr-g", options.learningRateG), ("--lr-d", options.learningRateD)]
            where !(value > 0 && value.isFinite) {
            throw GantryError("\(flag) must be a positive learning rate, got \(value)")
        }
        for (flag, value) in [("--beta1", options.beta1), ("--beta2", options.beta2)] where !(value >= 0 && value < 1) {
            throw GantryError("\(flag) must be in [0, 1), got \(value)")
        }

        do {
            dataset = try makeDataset(options.data, seed: options.seed)
        } catch let error as DatasetError {
            throw GantryError("--data \(options.data): \(error)")
        }
        let shape = dataset.shape
        let expected = model.sampleShape
        guard shape.channels == expected.channels, shape.height == expected.height, shape.width == expected.width else {
            throw GantryError("model \(model.rawValue) takes samples of \(expected) but dataset \(dataset.name) has \(shape)")
        }
        guard dataset.count >= globalBatch else {
            throw GantryError("dataset \(dataset.name) has \(dataset.count) samples, fewer than the global batch of \(globalBatch)")
        }
        batchesPerEpoch = dataset.count / globalBatch

        switch (options.steps, options.epochs) {
        case (.some, .some):
            throw GantryError("--steps and --epochs were both given; give one")
        case (.some(let steps), nil):
            guard steps > 0 else { throw GantryError("--steps must be positive, got \(steps)") }
            totalSteps = steps
        case (nil, .some(let epochs)):
            guard epochs > 0 else { throw GantryError("--epochs must be positive, got \(epochs)") }
            totalSteps = max(1, epochs * batchesPerEpoch / options.dSteps)
        case (nil, nil):
            totalSteps = 1000
        }
    }
}
