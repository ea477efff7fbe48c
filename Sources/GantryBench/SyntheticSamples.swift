import GantryNN
import GantryData

/// The step benchmark's real data: random images of the model's sample shape in [-1, 1],
/// drawn once and kept in memory, so a batch costs only copying.
struct SyntheticSamples: Dataset {
    static let name = "synthetic"
    var name: String { Self.name }
    let count: Int
    let shape: SampleShape
    private let values: FloatBuffer

    init(shape: Shape, count: Int, seed: UInt64) {
        self.count = count
        self.shape = SampleShape(channels: shape.channels, height: shape.height, width: shape.width)
        values = FloatBuffer(count: count * shape.count)
        var random = SequentialRandom(seed: seed, stream: CounterRandom.Stream.evaluation, substream: 0xDA7A)
        for i in 0..<values.count { values[i] = random.uniform(-1, 1) }
    }

    func write(sample index: Int, into destination: UnsafeMutablePointer<Float>, channelStride: Int) {
        let plane = shape.spatial, source = values.pointer + index * shape.count
        for c in 0..<shape.channels {
            (destination + c * channelStride).update(from: source + c * plane, count: plane)
        }
    }
}
