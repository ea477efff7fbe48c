import ArgumentParser
import GantryTrain

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a grid of generated samples (2-D models: a scatter plot) from a checkpoint.")

    @OptionGroup var generator: GeneratorOptions

    @Option(help: "The PNG file to write.")
    var out: String

    @Option(help: "How many samples.")
    var count = 64

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive, got \(count)") }
    }

    func run() throws {
        let trained = try generator.load()
        try trained.picture(count: count, seed: generator.seed).write(to: out)
        print("wrote \(count) samples of \(trained.model.rawValue) from \(trained.path) (step \(trained.checkpoint.header.step)) to \(out)")
    }
}
