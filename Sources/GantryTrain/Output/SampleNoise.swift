import GantryData

/// The noise vectors z that `gantry sample` and the run's sample pictures feed the generator.
public enum SampleNoise {
    /// Vector `j` is sample `j` of the evaluation stream of `seed` (batch counter 0): with the
    /// run's seed, the noise of the run's sample pictures. Each vector depends on `j` alone,
    /// so any range of them can be drawn without the ones before.
    case stream(seed: UInt64)
    /// Given vectors, sample-major: vector `j` at `j · dimension` (latent walks).
    case vectors([Float])

    /// Vectors `first ..< first + count` into `destination` channel-major (`dimension × count`),
    /// the layout the generator takes.
    func fill(first: Int, count: Int, dimension: Int, into destination: UnsafeMutablePointer<Float>) {
        switch self {
        case .stream(let seed):
            CounterRandom(seed: seed, stream: CounterRandom.Stream.evaluation)
                .fillNormalBatch(a: 0, firstSample: first, count: count, dimension: dimension, into: destination)
        case .vectors(let vectors):
            for j in 0..<count {
                for d in 0..<dimension { destination[d * count + j] = vectors[(first + j) * dimension + d] }
            }
        }
    }

    /// The first `count` vectors, sample-major (`count × dimension`).
    public func vectors(count: Int, dimension: Int) -> [Float] {
        switch self {
        case .stream(let seed):
            let random = CounterRandom(seed: seed, stream: CounterRandom.Stream.evaluation)
            return [Float](unsafeUninitializedCapacity: count * dimension) { buffer, initialized in
                for j in 0..<count {
                    random.fillNormal(a: 0, b: UInt64(j), count: dimension, into: buffer.baseAddress! + j * dimension, stride: 1)
                }
                initialized = count * dimension
            }
        case .vectors(let vectors):
            return Array(vectors.prefix(count * dimension))
        }
    }
}
