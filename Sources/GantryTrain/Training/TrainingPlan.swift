import GantryData
import GantryNN

/// Options checked against the world size and the dataset: what a run will actually do.
/// Every error names the flag at fault and is a usage error (exit 64).
public struct TrainingPlan {
    public let options: TrainingOptions
    public let model: ModelKind
    /// The networks the options shape (widths, BatchNorm, maxout, packing, minibatch stddev).
    public let architecture: Architecture
    public let dataset: Dataset
    public let worldSize: Int
    public let localBatch: Int
    public let globalBatch: Int
    public let totalSteps: Int
    /// Real batches drawn per epoch (each D step draws one).
    public let batchesPerEpoch: Int

    /// Opens `options.data` and validates `options` for `worldSize` ranks. `progress` receives
    /// the lines of a dataset that takes a while to open (a folder of images being decoded).
    public init(options: TrainingOptions, worldSize: Int, progress: (String) -> Void = { _ in }) throws {
        // The dataset alone must fit this rank's memory before it is read (the whole budget,
        // model included, is checked once the plan is made). A folder of images is fitted to
        // the model's samples; an unknown model is refused below.
        let shape = ModelKind(rawValue: options.model).map { SampleShape(channels: $0.sampleShape.channels, height: $0.sampleShape.height, width: $0.sampleShape.width) }
        let dataset = try openDataset(options.data, seed: options.seed, sampleShape: shape, worldSize: worldSize, progress: progress)
        try self.init(options: options, worldSize: worldSize, dataset: dataset)
    }

    /// The same checks, on a dataset the caller brings (the step benchmark's synthetic one).
    public init(options: TrainingOptions, worldSize: Int, dataset: Dataset) throws {
        self.options = options
        self.dataset = dataset
        self.worldSize = worldSize
        guard let model = ModelKind(rawValue: options.model) else {
            throw GantryError.usage("unknown model '\(options.model)' (--model takes one of: \(ModelKind.names))")
        }
        self.model = model
        architecture = Architecture(model, options: options)

        if options.r1 > 0, let (index, layer) = GradientPenalty.unsupportedLayer(in: architecture.discriminatorLayers()) {
            if layer is MinibatchStddev {
                throw GantryError.usage("--r1 cannot be combined with --mbstd: minibatch stddev mixes a group's samples, so a sample's input gradient is not its own (drop one of them)")
            }
            if layer is BatchNorm {
                throw GantryError.usage("--r1 needs a discriminator without BatchNorm (its per-sample input gradient is mixed across the batch): add --d-norm none")
            }
            throw GantryError.usage("--r1: D's layer \(index), \(layer.summary), has no backward of its backward pass, which the gradient penalty needs")
        }

        (localBatch, globalBatch) = try Self.batchSizes(options: options, worldSize: worldSize)
        if architecture.usesBatchNorm && localBatch < 2 {
            throw GantryError.usage("--batch must be at least 2 per rank for \(model.rawValue)\(options.gBatchNorm ? " with --g-batch-norm" : "") (BatchNorm needs two samples), got \(localBatch)")
        }
        // Packed groups and stddev groups are consecutive samples of the global batch: each
        // must lie within one rank's slice, so that k ranks compute what one rank does.
        if localBatch % architecture.pack != 0 {
            throw GantryError.usage("--pack \(architecture.pack) does not divide the batch of \(localBatch) per rank (\(worldSize) rank\(worldSize == 1 ? "" : "s")): choose a batch that is a multiple of \(architecture.pack)")
        }
        let group = Architecture.minibatchStddevGroup
        if architecture.minibatchStddev && (localBatch / architecture.pack) % group != 0 {
            throw GantryError.usage("--mbstd groups \(group) samples but D sees \((localBatch / architecture.pack)) per rank\(architecture.pack > 1 ? " (after --pack \(architecture.pack))" : ""): choose a batch per rank that is a multiple of \(group * architecture.pack)")
        }

        let shape = dataset.shape
        let expected = model.sampleShape
        guard shape.channels == expected.channels, shape.height == expected.height, shape.width == expected.width else {
            throw GantryError.usage("model \(model.rawValue) takes samples of \(expected) but dataset \(printable(dataset.name)) has \(shape)")
        }
        if options.evalEvery > 0 && model == .mlp {
            throw GantryError.usage("--eval-every measures image models; \(model.rawValue) is a 2-D model (measure it with gantry eval)")
        }
        guard dataset.count >= globalBatch else {
            throw GantryError.usage("dataset \(printable(dataset.name)) has \(dataset.count) samples, fewer than the global batch of \(globalBatch)")
        }
        batchesPerEpoch = dataset.count / globalBatch

        if let epochs = options.epochs {
            let (batches, overflow) = epochs.multipliedReportingOverflow(by: batchesPerEpoch)
            guard !overflow else { throw GantryError.usage("--epochs \(epochs) is more passes over \(printable(dataset.name)) than can be counted") }
            totalSteps = max(1, batches / options.dSteps)
        } else {
            totalSteps = options.steps ?? TrainingOptions.defaultSteps
        }
        // The trainer counts real batches as step × d-steps: that must fit too.
        guard !totalSteps.multipliedReportingOverflow(by: options.dSteps).overflow else {
            throw GantryError.usage("\(totalSteps) steps of --d-steps \(options.dSteps) are more batches than can be counted")
        }
        // Last: the refusal names the batch, which the checks above have made sense of.
        try memoryBudget.check(worldSize: worldSize)
    }

    /// The batch per rank and the global batch that `options` give on `worldSize` ranks.
    public static func batchSizes(options: TrainingOptions, worldSize: Int) throws -> (local: Int, global: Int) {
        guard let global = options.globalBatch else {
            let local = options.batch ?? TrainingOptions.defaultBatch
            let (global, overflow) = local.multipliedReportingOverflow(by: worldSize)
            guard !overflow else { throw GantryError.usage("--batch \(local) on \(worldSize) ranks is a global batch too large to count") }
            return (local, global)
        }
        guard global % worldSize == 0 else {
            throw GantryError.usage("--global-batch \(global) does not divide evenly across \(worldSize) ranks")
        }
        return (global / worldSize, global)
    }
}

extension TrainingPlan {
    /// `train` on one rank: the trainer's model (`Architecture.trainerFloats`), G's moving
    /// average (`--g-ema-kimg`), the generator of the run's sample pictures and its noise,
    /// `--eval-every`'s generator and classifier, and the dataset's own memory, which every
    /// rank holds.
    public var memoryBudget: MemoryBudget {
        let model = self.model, pictures = SamplePicture.count(for: model), architecture = self.architecture
        // The picture generator shares the trainer's scratch space: at batches above the
        // picture's, it needs none of its own.
        let pictureGenerator = NetworkFootprint(layers: architecture.generatorLayers(), batch: pictures)
        let pictureFloats = pictureGenerator.inferenceFloats - pictureGenerator.workspace
            + Double(pictures * model.noiseDimension)
        let counts = architecture.parameterCounts
        let average = options.gEmaKimg > 0 ? Double(counts.generator.parameters + counts.generator.state) : 0
        // --eval-every: the evaluation's generator, a chunk at a time (counted whole: its
        // workspace may grow the shared scratch space past the trainer's), and the classifier.
        var evaluation = 0.0
        if options.evalEvery > 0 {
            evaluation = TrainedGenerator.chunkMemoryFloats(architecture: architecture, chunk: TrainedGenerator.chunkSize(for: model))
            if dataset.isLabelled {
                evaluation += ImageClassifier.memoryFloats(shape: architecture.sampleShape, classes: dataset.classNames.count)
            }
        }
        let floats = architecture.trainerFloats(batch: localBatch, gradientPenalty: options.r1 > 0) + average + pictureFloats + evaluation
        let batch = options.globalBatch.map { "--global-batch \($0) (\(localBatch) per rank)" }
            ?? "--batch \(localBatch)"
        return MemoryBudget(what: "\(model.rawValue) at \(batch)", bytes: 4 * floats + Double(dataset.residentBytes),
                            remedy: options.globalBatch == nil ? "lower --batch" : "lower --global-batch")
    }
}
