import ArgumentParser
import GantryTrain

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a grid of generated samples (2-D models: a scatter plot) from a checkpoint.")

    @Option(help: "A checkpoint file, or a run directory (its newest checkpoint).")
    var checkpoint: String

    @Option(help: "The PNG file to write.")
    var out: String

    @Option(help: "How many samples.")
    var count = 64

    @Option(help: "Seed for the noise.")
    var seed: UInt64 = 0

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive, got \(count)") }
    }

    func run() throws {
        let trained = try TrainedGenerator(fileOrRunDirectory: checkpoint)
        try trained.picture(count: count, seed: seed).write(to: out)
        print("wrote \(count) samples of \(trained.model.rawValue) from \(trained.path) (step \(trained.checkpoint.header.step)) to \(out)")
    }
}
