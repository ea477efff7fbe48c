import GantryNN
import GantryData

/// What `gantry sample` and `gantry eval` need from a checkpoint: its generator, in
/// evaluation mode (BatchNorm uses its running statistics).
public struct TrainedGenerator {
    public let checkpoint: Checkpoint
    public let path: String
    public let model: ModelKind

    /// Loads `fileOrRunDirectory` (a run directory means its newest checkpoint).
    public init(fileOrRunDirectory: String) throws {
        path = try CheckpointDirectory.resolve(fileOrRunDirectory)
        checkpoint = try Checkpoint.load(path)
        model = try checkpoint.modelKind()
    }

    /// `count` samples from noise drawn with `seed`, channel-major (C, count, H, W).
    public func generate(count: Int, seed: UInt64) -> [Float] {
        let network = model.makeGenerator(batch: count)
        checkpoint.generator.restore(into: network)
        let noise = fixedNoise(model: model, count: count, seed: seed)
        let output = network.forward(noise.pointer, training: false)
        return Array(UnsafeBufferPointer(start: output, count: model.sampleShape.count * count))
    }

    /// A grid of images, or for 2-D models a scatter plot over the training data.
    public func picture(count: Int, seed: UInt64) throws -> PNGImage {
        let samples = generate(count: count, seed: seed)
        let mixture = model == .mlp ? try trainingMixture() : nil
        return samples.withUnsafeBufferPointer { SamplePicture.make($0.baseAddress!, count: count, model: model, mixture: mixture) }
    }

    /// Mode coverage and high-quality share (`ModeCoverage`) of `count` samples, for 2-D models.
    public func evaluateModes(count: Int, seed: UInt64) throws -> ModeCoverage {
        guard model == .mlp else {
            throw GantryError("gantry eval measures mode coverage of 2-D models (mlp); \(path) holds a \(model.rawValue)")
        }
        let mixture = try trainingMixture()
        let samples = generate(count: count, seed: seed)
        return samples.withUnsafeBufferPointer { ModeCoverage(channelMajor: $0.baseAddress!, count: count, mixture: mixture) }
    }

    /// The 2-D mixture this checkpoint's generator was trained on.
    private func trainingMixture() throws -> Mixture2D {
        guard let mixture = try makeDataset(checkpoint.header.dataset, seed: checkpoint.header.random.seed) as? Mixture2D else {
            throw GantryError("\(path) was trained on \(checkpoint.header.dataset), which is not a 2-D mixture (ring8, grid25)")
        }
        return mixture
    }
}
