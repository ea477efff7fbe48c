/// Where the data stream stands: the next real batch to draw and its epoch.
public struct SamplerPosition: Codable, Equatable {
    public var epoch: Int
    /// Global batches drawn so far (each D step draws one).
    public var batchCounter: Int
}

/// The keys of the counter-based random generator: with these, every weight initialisation,
/// data permutation and noise vector of the run can be drawn again.
public struct RandomKeys: Codable, Equatable {
    public var generator = "philox4x32-10"
    public var seed: UInt64
    public var streams: [String: UInt64]
}

/// What a checkpoint says about the run it came from (the "header" section, JSON).
public struct CheckpointHeader: Codable {
    public var model: String
    public var dataset: String
    public var sampleShape: [Int]
    public var noiseDimension: Int
    /// Iterations completed; training resumes at this step.
    public var step: Int
    public var worldSize: Int
    public var globalBatch: Int
    public var sampler: SamplerPosition
    public var random: RandomKeys
    public var gantryVersion: String
    /// The run's training options (TrainingOptions.settings).
    public var options: [String: SettingValue]
    /// The id of the run that wrote it, as in its config.json (RunIdentity); nil in format
    /// versions 1 and 2.
    public var runId: String? = nil

    /// The run's training options, read back through the flag parser.
    public func trainingOptions(source: String) throws -> TrainingOptions {
        try TrainingOptions(settings: options, source: source)
    }

    /// The options of a run resumed from this checkpoint: the checkpoint's, with the flags
    /// given now (`given`, parsed alone) applied over them by `reparse`, which parses the
    /// checkpoint's flags followed by the command line (the later value of a flag wins).
    /// What defines the model and its data stream cannot change: a different --model or
    /// --seed, or an option that shapes the networks (Architecture.settingNames), is refused
    /// naming the flag. Without --batch or --global-batch the global
    /// batch stays, whatever the number of ranks. Returns the settings that changed.
    public func resumedOptions(given: TrainingOptions, source: String,
                               reparse: ([String]) throws -> TrainingOptions) throws
        -> (options: TrainingOptions, changed: [String: String]) {
        var before = try trainingOptions(source: source)
        (before.batch, before.globalBatch) = (nil, globalBatch)
        // A flag of a pair that excludes each other replaces the checkpoint's other one.
        var base = before
        if given.steps != nil || given.epochs != nil { (base.steps, base.epochs) = (nil, nil) }
        if given.batch != nil || given.globalBatch != nil { base.globalBatch = nil }
        let options = try reparse(base.arguments)
        if options.model != model {
            throw GantryError("--model \(options.model) conflicts with the checkpoint, which holds a \(model); resume without --model or start a new run")
        }
        if options.seed != before.seed {
            throw GantryError("--seed \(options.seed) conflicts with the checkpoint's seed \(before.seed), which fixes its data order and noise; resume without --seed")
        }
        let changed = before.differences(to: options)
        if let kind = ModelKind(rawValue: model), Architecture(kind, options: options) != Architecture(kind, options: before),
           let key = Architecture.settingNames.first(where: { changed[$0] != nil }) {
            let flag = "--" + key.replacing("_", with: "-")
            throw GantryError("\(flag) \(changed[key]!) conflicts with the checkpoint, whose networks were built with \(before.settings[key]?.description ?? "the default"); resume without \(flag) or start a new run")
        }
        return (options, changed)
    }
}
