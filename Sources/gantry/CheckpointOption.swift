import ArgumentParser
import GantryTrain

/// The checkpoint a command reads its generator from (`sample`, `eval`, `export`), and which
/// of its generators: declared here once for all three.
struct CheckpointOption: ParsableArguments {
    @Option(help: "A checkpoint file, or a run directory (its newest checkpoint).")
    var checkpoint: String

    @Flag(help: "Use G's trained weights rather than their moving average (--g-ema-kimg), which is used whenever the checkpoint holds one.")
    var rawG = false
}
