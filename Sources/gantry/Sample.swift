import ArgumentParser
import GantryData
import GantryTrain

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write generated samples from a checkpoint: a grid (2-D models: a scatter plot), a folder of PNGs, or arrays.",
        discussion: """
        Without --seed and --count the noise is that of the run's sample pictures: `gantry sample --checkpoint RUN \
        --out x.png` draws again the run's samples/step-N.png of the checkpoint's step, byte for byte (both come from \
        G's moving average when the run kept one; --raw-g draws from the trained G).
        """)

    /// Walks drawn by --interpolate without --count.
    static let defaultWalks = 8

    @OptionGroup var generator: GeneratorOptions

    @Option(help: "FILE.png: a grid (2-D models: a scatter plot); DIR/ (with the slash): one PNG per sample; FILE.npz: float32 arrays samples (N, C, H, W; 2-D models: N, 2) and noise (N, Z).")
    var out: String

    @Option(help: "How many samples, or with --interpolate how many walks (default: as many samples as the run's pictures show; \(Sample.defaultWalks) walks).")
    var count: Int?

    @Option(help: "Rows of the grid (default: a near-square grid).")
    var rows: Int?

    @Option(help: "Pixels of border around and between the grid's images.")
    var padding = ImageGrid.border

    @Option(help: "Draw each pixel of the images as a square of this many pixels.")
    var scale = 1

    @Option(help: "Latent walks of this many steps between two noise vectors (steps + 1 images, both ends included), one row per walk.")
    var interpolate: Int?

    @Option(help: "The path of a latent walk: spherical (along the great circle, keeping the norm of Gaussian noise) or linear.")
    var walk: LatentWalk = .spherical

    func validate() throws {
        for (flag, value, least) in [("--count", count, 1), ("--rows", rows, 1), ("--interpolate", interpolate, 1),
                                     ("--scale", scale, 1), ("--padding", padding, 0)] {
            if let value, value < least { throw ValidationError("\(flag) must be at least \(least), got \(value)") }
        }
        if interpolate != nil && rows != nil {
            throw ValidationError("--rows does not apply to --interpolate, which draws one row per walk")
        }
        do {
            _ = try SampleOutput(out)
        } catch {
            throw ValidationError(String(describing: error))
        }
    }

    func run() throws {
        let trained = try generator.load()
        let output = try SampleOutput(out)
        let seed = generator.seed(of: trained)
        let dimension = trained.model.noiseDimension
        try memoryBudget(trained, output).check(worldSize: 1)
        let what: String
        if let steps = interpolate {
            let walks = count ?? Self.defaultWalks
            let endpoints = SampleNoise.stream(seed: seed).vectors(count: 2 * walks, dimension: dimension)
            let points = walk.points(walks: walks, steps: steps, endpoints: endpoints, dimension: dimension)
            try output.write(trained, count: walks * (steps + 1), noise: .vectors(points),
                             layout: ImageGrid.Layout(rows: walks, padding: padding, scale: scale))
            what = "\(walks) \(walk.rawValue) walks of \(steps) steps"
        } else {
            let count = self.count ?? trained.pictureCount
            try output.write(trained, count: count, noise: .stream(seed: seed),
                             layout: ImageGrid.Layout(rows: rows, padding: padding, scale: scale))
            what = "\(count) samples"
        }
        print("wrote \(what) of \(trained.model.rawValue) from \(trained.path) (step \(trained.checkpoint.header.step), seed \(seed), \(trained.generatorName)) to \(out)")
    }

    /// The generator a chunk at a time, what `output` keeps of all the samples, and a
    /// latent walk's noise vectors (both ends of each walk, and every point).
    func memoryBudget(_ trained: TrainedGenerator, _ output: SampleOutput) -> MemoryBudget {
        let layout = ImageGrid.Layout(rows: rows, padding: padding, scale: scale)
        let dimension = Double(trained.model.noiseDimension)
        var count = Double(self.count ?? trained.pictureCount), walkFloats = 0.0
        if let steps = interpolate {
            let walks = Double(self.count ?? Self.defaultWalks)
            count = walks * (Double(steps) + 1)
            walkFloats = (2 * walks + count) * dimension
        }
        let chunk = trained.chunkMemoryFloats(count: Int(min(count, Double(trained.chunkSize))))
        let flags = interpolate.map { "--interpolate \($0) --count \(self.count ?? Self.defaultWalks)" } ?? "--count \(self.count ?? trained.pictureCount)"
        return MemoryBudget(what: "sample \(flags) --out \(out)",
                            bytes: 4 * (chunk + walkFloats) + output.heldBytes(count: count, model: trained.model, layout: layout),
                            remedy: "lower --count, or write a folder (DIR/), which holds one sample at a time")
    }
}
