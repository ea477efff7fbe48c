import GantryNN

/// A checkpoint's networks as PyTorch state dicts (`gantry export`, docs/export.md).
///
/// G alone is written under the plain names of its `nn.Sequential` (`0.weight`, …), so that
/// `G.load_state_dict(...)` takes the file as it is. With D, both are written under the
/// names of `nn.ModuleDict({"generator": G, "discriminator": D})`: `generator.0.weight`,
/// `discriminator.0.weight`, …
///
/// G is its moving average when the checkpoint holds one (`--g-ema-kimg`), unless `rawG`.
public struct ModelExport {
    public let checkpoint: Checkpoint
    public let model: ModelKind
    public let architecture: Architecture
    public let includesDiscriminator: Bool
    /// Whether G's tensors are its moving average rather than the trained weights.
    public let exportsAverage: Bool

    public init(checkpoint: Checkpoint, includesDiscriminator: Bool, rawG: Bool = false) throws {
        self.checkpoint = checkpoint
        self.model = try checkpoint.modelKind()
        architecture = try checkpoint.architecture(source: "the checkpoint")
        self.includesDiscriminator = includesDiscriminator
        exportsAverage = checkpoint.generatorEMA != nil && !rawG
    }

    /// Training-mode forward passes of each network up to the checkpoint, which is what
    /// PyTorch's BatchNorm counts in `num_batches_tracked` (Gantry keeps no such counter).
    /// Every D step draws one global batch and runs G once on its noise, and D twice (the real
    /// and the fake batch); the G phase runs D once more. The header's batch counter is the
    /// number of D steps, `step · d_steps` (a run that changed --d-steps on resume is counted
    /// as if it had always used its latest value: the checkpoint keeps no history of it).
    /// Sample pictures run a separate copy of G in evaluation mode and do not count. G's
    /// moving average gets G's count: its running statistics are averages of G's.
    public var trainingPasses: (generator: Int, discriminator: Int) {
        let dStepsTaken = checkpoint.header.sampler.batchCounter
        return (dStepsTaken, 2 * dStepsTaken + checkpoint.header.step)
    }

    public var tensors: [ExportTensor] {
        let generator = PyTorchNames.tensors(layers: architecture.generatorLayers(), snapshot: checkpoint.generatorWeights(raw: !exportsAverage),
                                             trainingPasses: trainingPasses.generator)
        guard includesDiscriminator else { return generator }
        let discriminator = PyTorchNames.tensors(layers: architecture.discriminatorLayers(), snapshot: checkpoint.discriminator,
                                                 trainingPasses: trainingPasses.discriminator)
        return generator.map { $0.renamed("generator.\($0.name)") }
            + discriminator.map { $0.renamed("discriminator.\($0.name)") }
    }

    /// What safetensors' `__metadata__` records (strings only, as the format requires).
    public var metadata: [String: String] {
        ["format": "pt", "gantry_version": GantryVersion.current, "model": model.rawValue,
         "dataset": checkpoint.header.dataset, "step": String(checkpoint.header.step),
         "generator": exportsAverage ? "moving average" : "trained"]
    }

    /// Writes the file atomically: a reader never finds a partial file under `path`.
    public func write(_ format: ExportFormat, to path: String) throws {
        try AtomicFile.write(try format.encode(tensors, metadata: metadata, source: path), to: path)
    }
}
