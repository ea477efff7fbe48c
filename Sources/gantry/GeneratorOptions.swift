import ArgumentParser
import GantryTrain

/// The trained generator that `sample` and `eval` draw from, and the seed of their noise.
struct GeneratorOptions: ParsableArguments {
    @Option(help: "A checkpoint file, or a run directory (its newest checkpoint).")
    var checkpoint: String

    @Option(help: "Seed for the noise.")
    var seed: UInt64 = 0

    func load() throws -> TrainedGenerator { try TrainedGenerator(fileOrRunDirectory: checkpoint) }
}
