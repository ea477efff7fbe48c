import GantryNN
import GantryData

/// Noise for sample pictures: the same for every call with the same seed, so that grids of
/// successive steps show the same z's evolving.
func fixedNoise(model: ModelKind, count: Int, seed: UInt64) -> FloatBuffer {
    let noise = FloatBuffer(count: model.noiseDimension * count)
    SampleNoise.stream(seed: seed).fill(first: 0, count: count, dimension: model.noiseDimension, into: noise.pointer)
    return noise
}

/// The first `count` points of a 2-D dataset.
func points(of dataset: Dataset, count: Int) -> [(Float, Float)] {
    let buffer = FloatBuffer(count: 2 * count)
    dataset.writeBatch(indices: 0..<count, into: buffer.pointer)
    return (0..<count).map { (buffer[$0], buffer[count + $0]) }
}

/// The picture of generated samples: a grid of images, or for 2-D models a scatter plot of
/// the generated points (orange) over as many points of the training data (blue).
enum SamplePicture {
    /// How many samples the training run's pictures show.
    static func count(for model: ModelKind) -> Int { model == .mlp ? 1000 : 64 }

    /// `samples`: `count` channel-major samples (C, count, H, W) of `model`; `mixture`: the
    /// 2-D data it was trained on, for 2-D models. `layout` arranges a grid (not a plot).
    static func make(_ samples: UnsafePointer<Float>, count: Int, model: ModelKind, mixture: Mixture2D?,
                     layout: ImageGrid.Layout = ImageGrid.Layout()) -> PNGImage {
        guard let mixture else {
            let shape = model.sampleShape
            return ImageGrid.make(batch: samples, count: count, channels: shape.channels, height: shape.height,
                                  width: shape.width, layout: layout)
        }
        let fake = (0..<count).map { (samples[$0], samples[count + $0]) }
        return ScatterPlot.make(real: points(of: mixture, count: count), fake: fake, range: mixture.plotRange)
    }
}
