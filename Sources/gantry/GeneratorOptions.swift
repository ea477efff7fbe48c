import ArgumentParser
import GantryTrain

/// The trained generator that `sample` and `eval` draw from, and the seed of their noise.
struct GeneratorOptions: ParsableArguments {
    @OptionGroup var source: CheckpointOption

    @Option(help: "Seed for the noise (default: the run's seed, so that the noise is that of the run's sample pictures).")
    var seed: UInt64?

    func load() throws -> TrainedGenerator { try TrainedGenerator(fileOrRunDirectory: source.checkpoint, rawG: source.rawG) }

    /// The seed given, or the one the run trained with.
    func seed(of trained: TrainedGenerator) -> UInt64 { seed ?? trained.checkpoint.header.random.seed }
}
