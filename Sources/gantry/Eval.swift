import ArgumentParser
import GantryData
import GantryTrain

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a model from a checkpoint: a 2-D model's mode coverage, high-quality share (samples within 3 std of a mode) and reverse KL (samples' nearest modes against uniform); an image model's Fréchet distance, Inception-Score analogue, class coverage, precision/recall and SWD beside held-out real images (docs/evaluation.md).")

    @OptionGroup var generator: GeneratorOptions

    @Option(help: "How many samples to generate (default: 2500 for a 2-D model, 10000 for an image model).")
    var count: Int?

    @Option(help: "Image models: the real images to compare with (default: the run's dataset).")
    var data: String?

    @Flag(help: "Image models: fail unless the data has labels for the classifier's metrics (without labels only SWD is measured).")
    var classMetrics = false

    @Option(help: "Image models: the directory of trained classifiers (default: $GANTRY_CLASSIFIER_CACHE, else $XDG_CACHE_HOME/gantry/classifiers, else ~/.cache/gantry/classifiers).")
    var classifierCache: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        if let count, count <= 0 { throw ValidationError("--count must be positive, got \(count)") }
    }

    func run() throws {
        let trained = try generator.load()
        if trained.model != .mlp || data != nil || classMetrics {
            try EvalImages(trained: trained, dataSpec: data, count: count ?? 10_000, seed: generator.seed(of: trained),
                           requireClassMetrics: classMetrics, cacheDirectory: classifierCache, json: json).run()
            return
        }
        let count = count ?? 2500
        // Samples are tallied a chunk at a time: only the generator's chunk counts.
        try MemoryBudget(what: "eval of \(trained.model.rawValue)", bytes: 4 * trained.chunkMemoryFloats(count: count),
                         remedy: "free memory on this node").check(worldSize: 1)
        let coverage = try trained.evaluateModes(count: count, seed: generator.seed(of: trained))
        if json {
            let object: JSONValue = .object([
                "checkpoint": .string(trained.path), "step": .integer(trained.checkpoint.header.step),
                "dataset": .string(trained.checkpoint.header.dataset), "samples": .integer(coverage.samples),
                "modes": .integer(coverage.modes), "modes_covered": .integer(coverage.modesCovered),
                "modes_with_1_percent": .integer(coverage.modesWithOnePercent),
                "high_quality_share": .number(coverage.highQualityShare), "reverse_kl": .number(coverage.reverseKL),
            ])
            print(String(decoding: try object.encoded(), as: UTF8.self))
        } else {
            print("""
            \(trained.path) (step \(trained.checkpoint.header.step), \(trained.checkpoint.header.dataset)), \(coverage.samples) samples:
              modes covered:              \(coverage.modesCovered) of \(coverage.modes)
              modes with >= 1% of samples: \(coverage.modesWithOnePercent) of \(coverage.modes)
              high-quality share:         \(fixed(coverage.highQualityShare, 3))
              reverse KL (nearest modes): \(fixed(coverage.reverseKL, 4))
            """)
        }
    }
}
