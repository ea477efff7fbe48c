import GantryNN
import GantryData

/// What `gantry sample` and `gantry eval` need from a checkpoint: its generator, in
/// evaluation mode (BatchNorm uses its running statistics). That is G's moving average when
/// the run kept one (`--g-ema-kimg`, docs/ema.md), unless `rawG` asks for the trained G.
public struct TrainedGenerator {
    public let checkpoint: Checkpoint
    public let path: String
    public let model: ModelKind
    public let architecture: Architecture
    /// Whether the samples come from G's moving average rather than the trained G.
    public let usesAverage: Bool
    /// The run's convolution code, so that samples and evaluations reproduce the run's own.
    public let convolutionBackend: ConvolutionBackend

    /// Loads `fileOrRunDirectory` (a run directory means its newest checkpoint).
    public init(fileOrRunDirectory: String, rawG: Bool = false) throws {
        let path = try CheckpointDirectory.resolve(fileOrRunDirectory)
        try self.init(checkpoint: try Checkpoint.load(path), path: path, rawG: rawG)
    }

    /// Which G draws the samples, for messages: "G's moving average" or "the trained G".
    public var generatorName: String { usesAverage ? "G's moving average" : "the trained G" }

    /// A checkpoint already in memory (`--eval-every` evaluates the training generator's copy);
    /// `path` names it in messages.
    public init(checkpoint: Checkpoint, path: String, rawG: Bool = false) throws {
        self.path = path
        self.checkpoint = checkpoint
        model = try checkpoint.modelKind()
        let options = try checkpoint.header.trainingOptions(source: path)
        architecture = Architecture(model, options: options)
        usesAverage = checkpoint.generatorEMA != nil && !rawG
        convolutionBackend = options.convBackend
    }

    /// How many samples the run's own sample pictures show.
    public var pictureCount: Int { SamplePicture.count(for: model) }

    /// Samples per forward pass, so that memory does not grow with the count. At least the
    /// run's picture count: the default `gantry sample` then runs the batch the run's pictures
    /// ran, and reproduces them bit for bit (a GEMM's rounding may depend on its size).
    public var chunkSize: Int { Self.chunkSize(for: model) }

    /// `chunkSize` for a generator of `model`.
    public static func chunkSize(for model: ModelKind) -> Int { max(256, SamplePicture.count(for: model)) }

    /// Floats that generating `count` samples a chunk at a time holds (the generator at its
    /// chunk's batch and the chunk's noise), whatever the count.
    public func chunkMemoryFloats(count: Int) -> Double {
        Self.chunkMemoryFloats(architecture: architecture, chunk: min(chunkSize, count))
    }

    /// The same for a generator of `architecture` run `chunk` samples at a time, before any
    /// checkpoint exists (the training run's budget for `--eval-every`).
    public static func chunkMemoryFloats(architecture: Architecture, chunk: Int) -> Double {
        NetworkFootprint(layers: architecture.generatorLayers(), batch: chunk).inferenceFloats
            + Double(chunk * architecture.kind.noiseDimension)
    }

    /// Runs G (evaluation mode) over the first `count` vectors of `noise`, a chunk at a time:
    /// `body` gets each chunk's sample indices and its output, channel-major (C, n, H, W),
    /// valid during the call.
    public func forEachChunk(count: Int, noise: SampleNoise,
                             _ body: (Range<Int>, UnsafePointer<Float>) throws -> Void) rethrows {
        var network: Network?
        var input = FloatBuffer(count: 0)
        let weights = checkpoint.generatorWeights(raw: !usesAverage)
        for first in stride(from: 0, to: count, by: chunkSize) {
            let n = min(chunkSize, count - first)
            if network?.batchSize != n {  // the first chunk, and a shorter last one
                network = ConvolutionBackend.using(convolutionBackend) { architecture.makeGenerator(batch: n) }
                weights.copyWeights(into: network!)
                input = FloatBuffer(count: model.noiseDimension * n)
            }
            noise.fill(first: first, count: n, dimension: model.noiseDimension, into: input.pointer)
            try body(first..<first + n, network!.forward(input.pointer, training: false))
        }
    }

    /// `count` samples from `noise`, channel-major (C, count, H, W).
    public func generate(count: Int, noise: SampleNoise) -> [Float] {
        let channels = model.sampleShape.channels, plane = model.sampleShape.spatial
        var samples = [Float](repeating: 0, count: channels * count * plane)
        samples.withUnsafeMutableBufferPointer { all in
            forEachChunk(count: count, noise: noise) { chunk, output in
                for c in 0..<channels {
                    (all.baseAddress! + (c * count + chunk.lowerBound) * plane)
                        .update(from: output + c * chunk.count * plane, count: chunk.count * plane)
                }
            }
        }
        return samples
    }

    /// `count` samples from noise drawn with `seed`, channel-major (C, count, H, W).
    public func generate(count: Int, seed: UInt64) -> [Float] { generate(count: count, noise: .stream(seed: seed)) }

    /// A grid of images arranged by `layout`, or for 2-D models a scatter plot over the training data.
    public func picture(count: Int, noise: SampleNoise, layout: ImageGrid.Layout = ImageGrid.Layout()) throws -> PNGImage {
        let samples = generate(count: count, noise: noise)
        let mixture = model == .mlp ? try trainingMixture() : nil
        return samples.withUnsafeBufferPointer {
            SamplePicture.make($0.baseAddress!, count: count, model: model, mixture: mixture, layout: layout)
        }
    }

    /// Mode coverage and high-quality share (`ModeCoverage`) of `count` samples, for 2-D
    /// models, tallied a chunk at a time: memory does not grow with the count.
    public func evaluateModes(count: Int, seed: UInt64) throws -> ModeCoverage {
        guard model == .mlp else {
            throw GantryError("gantry eval measures mode coverage of 2-D models (mlp); \(path) holds a \(model.rawValue)")
        }
        let mixture = try trainingMixture()
        var tally = ModeCoverage.Tally(mixture: mixture)
        forEachChunk(count: count, noise: .stream(seed: seed)) { chunk, output in
            tally.add(channelMajor: output, count: chunk.count)
        }
        return tally.coverage
    }

    /// The 2-D mixture this checkpoint's generator was trained on.
    private func trainingMixture() throws -> Mixture2D {
        guard let mixture = try makeDataset(checkpoint.header.dataset, seed: checkpoint.header.random.seed) as? Mixture2D else {
            throw GantryError("\(path) was trained on \(checkpoint.header.dataset), which is not a 2-D mixture (ring8, grid25)")
        }
        return mixture
    }
}
