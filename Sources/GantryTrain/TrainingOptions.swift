import Foundation
import GantryData

/// The generator's loss: the non-saturating −log D(G(z)) (default, strong gradients early in
/// training) or the original minimax log(1 − D(G(z))) that saturates when D wins.
public enum GeneratorLoss: String, CaseIterable, Codable {
    case nonSaturating = "non-saturating"
    case minimax
}

/// What to do when a step's gradients or losses are not finite.
public enum NonFinitePolicy: String, CaseIterable, Codable {
    /// Stop the run with a message; the last good checkpoint stays the newest.
    case stop
    /// Skip the optimiser update of the network whose gradients are not finite, and go on.
    case skipStep = "skip-step"
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
    /// Checkpoints to keep (the newest ones); 0 keeps all.
    public var keep = 0
    /// Also keep every checkpoint whose step is a multiple of this.
    public var keepEvery: Int?
    public var onNonFinite = NonFinitePolicy.stop
    /// SyncBatchNorm: BatchNorm statistics of the global batch rather than each rank's slice.
    public var syncBatchNorm = false
    public var allreduce = AllreduceMode.fused
    /// Bucket size of the bucketed allreduce, in MB (10⁶ bytes).
    public var bucketMegabytes = 1.0
    /// What overlaps the bucketed allreduce with backward.
    public var overlap = OverlapEngine.poll
    public var compress = GradientCompression.none

    public init() {}

    /// The gradient synchronisation in words, e.g. "bucketed 1 MB, overlap poll, compress none".
    public var synchronizationSummary: String {
        let size = bucketMegabytes == bucketMegabytes.rounded() ? String(Int(bucketMegabytes)) : String(bucketMegabytes)
        return allreduce == .fused ? "fused, compress \(compress.rawValue)"
            : "bucketed \(size) MB, overlap \(overlap.rawValue), compress \(compress.rawValue)"
    }

    /// The gradient synchronisation these options ask for.
    public var synchronization: GradientSynchronizer.Configuration {
        var configuration = GradientSynchronizer.Configuration()
        configuration.mode = allreduce
        configuration.overlap = overlap
        configuration.compression = compress
        configuration.bucketBytes = Int(bucketMegabytes * 1_000_000)
        return configuration
    }

    enum CodingKeys: String, CodingKey {
        case model, data, steps, epochs, batch, seed, out, threads, beta1, beta2
        case globalBatch = "global_batch", learningRateG = "lr_g", learningRateD = "lr_d"
        case dSteps = "d_steps", generatorLoss = "g_loss", logEvery = "log_every"
        case sampleEvery = "sample_every", checkpointEvery = "checkpoint_every", checkEvery = "check_every"
        case keep, keepEvery = "keep_every", onNonFinite = "on_nan", syncBatchNorm = "sync_bn"
        case allreduce, bucketMegabytes = "bucket_mb", overlap, compress
    }

    /// Reads options written by this or an earlier Gantry: a flag the file does not mention
    /// (one added since) takes its default.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingOptions()
        model = try c.decodeIfPresent(String.self, forKey: .model) ?? d.model
        data = try c.decodeIfPresent(String.self, forKey: .data) ?? d.data
        steps = try c.decodeIfPresent(Int.self, forKey: .steps)
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs)
        batch = try c.decodeIfPresent(Int.self, forKey: .batch)
        globalBatch = try c.decodeIfPresent(Int.self, forKey: .globalBatch)
        learningRateG = try c.decodeIfPresent(Float.self, forKey: .learningRateG) ?? d.learningRateG
        learningRateD = try c.decodeIfPresent(Float.self, forKey: .learningRateD) ?? d.learningRateD
        beta1 = try c.decodeIfPresent(Float.self, forKey: .beta1) ?? d.beta1
        beta2 = try c.decodeIfPresent(Float.self, forKey: .beta2) ?? d.beta2
        dSteps = try c.decodeIfPresent(Int.self, forKey: .dSteps) ?? d.dSteps
        generatorLoss = try c.decodeIfPresent(GeneratorLoss.self, forKey: .generatorLoss) ?? d.generatorLoss
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        out = try c.decodeIfPresent(String.self, forKey: .out) ?? d.out
        logEvery = try c.decodeIfPresent(Int.self, forKey: .logEvery) ?? d.logEvery
        sampleEvery = try c.decodeIfPresent(Int.self, forKey: .sampleEvery) ?? d.sampleEvery
        checkpointEvery = try c.decodeIfPresent(Int.self, forKey: .checkpointEvery) ?? d.checkpointEvery
        checkEvery = try c.decodeIfPresent(Int.self, forKey: .checkEvery) ?? d.checkEvery
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? d.threads
        keep = try c.decodeIfPresent(Int.self, forKey: .keep) ?? d.keep
        keepEvery = try c.decodeIfPresent(Int.self, forKey: .keepEvery)
        onNonFinite = try c.decodeIfPresent(NonFinitePolicy.self, forKey: .onNonFinite) ?? d.onNonFinite
        syncBatchNorm = try c.decodeIfPresent(Bool.self, forKey: .syncBatchNorm) ?? d.syncBatchNorm
        allreduce = try c.decodeIfPresent(AllreduceMode.self, forKey: .allreduce) ?? d.allreduce
        bucketMegabytes = try c.decodeIfPresent(Double.self, forKey: .bucketMegabytes) ?? d.bucketMegabytes
        overlap = try c.decodeIfPresent(OverlapEngine.self, forKey: .overlap) ?? d.overlap
        compress = try c.decodeIfPresent(GradientCompression.self, forKey: .compress) ?? d.compress
    }

    /// The options of a resumed run: the checkpoint's, with the flags given now applied by
    /// `overrides`. What defines the model and its data stream cannot change: a different
    /// --model or --seed is refused naming the flag. Without --batch or --global-batch the
    /// global batch stays, whatever the number of ranks. Returns the flags that changed.
    public static func resuming(_ checkpoint: CheckpointHeader, overrides: (inout TrainingOptions) throws -> Void) throws
        -> (options: TrainingOptions, changed: [String: String]) {
        var before = checkpoint.options
        before.batch = nil
        before.globalBatch = checkpoint.globalBatch
        var options = before
        try overrides(&options)
        if options.model != checkpoint.model {
            throw GantryError("--model \(options.model) conflicts with the checkpoint, which holds a \(checkpoint.model); resume without --model or start a new run")
        }
        if options.seed != before.seed {
            throw GantryError("--seed \(options.seed) conflicts with the checkpoint's seed \(before.seed), which fixes its data order and noise; resume without --seed")
        }
        return (options, try before.differences(to: options))
    }

    /// Flags whose values differ between `self` and `other`, as "flag": "new value".
    func differences(to other: TrainingOptions) throws -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func fields(_ options: TrainingOptions) throws -> [String: String] {
            let object = try JSONSerialization.jsonObject(with: try encoder.encode(options)) as? [String: Any] ?? [:]
            return object.mapValues { "\($0)" }
        }
        let old = try fields(self), new = try fields(other)
        var changed: [String: String] = [:]
        for key in Set(old.keys).union(new.keys) where old[key] != new[key] && key != "out" {
            changed[key] = new[key] ?? "(default)"
        }
        return changed
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
        let dataset: Dataset
        do {
            dataset = try makeDataset(options.data, seed: options.seed)
        } catch let error as DatasetError {
            throw GantryError("--data \(options.data): \(error)")
        }
        try self.init(options: options, worldSize: worldSize, dataset: dataset)
    }

    /// The same checks, on a dataset the caller brings (the step benchmark's synthetic one).
    public init(options: TrainingOptions, worldSize: Int, dataset: Dataset) throws {
        self.options = options
        self.dataset = dataset
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
                              ("--check-every", options.checkEvery), ("--threads", options.threads),
                              ("--keep-every", options.keepEvery ?? 1)] where value <= 0 {
            throw GantryError("\(flag) must be positive, got \(value)")
        }
        guard options.bucketMegabytes > 0 && options.bucketMegabytes.isFinite else {
            throw GantryError("--bucket-mb must be a positive size in MB, got \(options.bucketMegabytes)")
        }
        guard options.keep >= 0 else { throw GantryError("--keep must be 0 (keep all) or more, got \(options.keep)") }
        for (flag, value) in [("--lr-g", options.learningRateG), ("--lr-d", options.learningRateD)]
            where !(value > 0 && value.isFinite) {
            throw GantryError("\(flag) must be a positive learning rate, got \(value)")
        }
        for (flag, value) in [("--beta1", options.beta1), ("--beta2", options.beta2)] where !(value >= 0 && value < 1) {
            throw GantryError("\(flag) must be in [0, 1), got \(value)")
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
