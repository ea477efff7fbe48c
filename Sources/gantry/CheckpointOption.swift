import ArgumentParser
import GantryTrain

/// The checkpoint a command reads (`sample`, `eval`, `export`).
struct CheckpointOption: ParsableArguments {
    @Option(help: "A checkpoint file, or a run directory (its newest checkpoint).")
    var checkpoint: String
}
