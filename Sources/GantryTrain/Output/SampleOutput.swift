import GantryNN
import GantryData

/// Where `gantry sample --out` writes, told by how the name ends.
public enum SampleOutput {
    /// `FILE.png`: a grid of images (2-D models: a scatter plot over the training data).
    case picture(String)
    /// `DIR/`: one PNG per sample, `DIR/sample-000000.png`, … (image models only); the path
    /// keeps its trailing slash.
    case folder(String)
    /// `FILE.npz`: float32 arrays `samples` (N, C, H, W), for 2-D models (N, 2), and `noise` (N, Z).
    case arrays(String)

    /// Refuses any other ending, naming it: a .jpg must not receive PNG bytes.
    public init(_ out: String) throws {
        if out.hasSuffix("/") {
            self = .folder(out)
            return
        }
        let name = baseName(of: out)
        let ending = name.lastIndex(of: ".").map { name[$0...].lowercased() }
        switch ending {
        case ".png": self = .picture(out)
        case ".npz": self = .arrays(out)
        default:
            let problem = ending.map { "unknown extension '\($0)'" } ?? "no extension"
            throw GantryError.usage("--out \(out): \(problem); write FILE.png (a grid), FILE.npz (arrays) or DIR/ (a folder of PNGs, one per sample)")
        }
    }

    /// Bytes this output holds for `count` samples of `model` beyond the generator's chunk
    /// (Double: the count comes from flags). A folder streams, one sample at a time; a grid
    /// and arrays hold every sample, and then their encoding.
    public func heldBytes(count: Double, model: ModelKind, layout: ImageGrid.Layout) -> Double {
        let shape = model.sampleShape, floatBytes = 4.0
        switch self {
        case .folder:
            return floatBytes * Double(shape.count)
        case .arrays:
            // the samples and the noise as floats, then the same again encoded in the .npz
            return 2 * floatBytes * count * Double(shape.count + model.noiseDimension)
        case .picture:
            guard shape.spatial > 1 else {  // a scatter plot: the points, generated and real
                return count * (floatBytes * Double(shape.count) + 4 * 2 * floatBytes)
            }
            // the samples as floats, then the grid's pixels (a byte per channel) and their PNG
            let scale = Double(layout.scale), padding = Double(layout.padding)
            let tile = (Double(shape.height) + padding) * (Double(shape.width) + padding) * scale * scale
            return count * (floatBytes * Double(shape.count) + 2 * tile * Double(shape.channels))
        }
    }

    /// Writes `count` samples of `generator` from `noise`; `layout` arranges a grid's images
    /// (a folder's images are single samples: its scale applies, not its rows or padding).
    public func write(_ generator: TrainedGenerator, count: Int, noise: SampleNoise, layout: ImageGrid.Layout) throws {
        switch self {
        case .picture(let path):
            try generator.picture(count: count, noise: noise, layout: layout).write(to: path)
        case .folder(let directory):
            try Self.writeFolder(directory, generator, count: count, noise: noise, scale: layout.scale)
        case .arrays(let path):
            try Self.writeArrays(path, generator, count: count, noise: noise)
        }
    }

    private static func writeFolder(_ directory: String, _ generator: TrainedGenerator, count: Int,
                                    noise: SampleNoise, scale: Int) throws {
        let shape = generator.model.sampleShape
        guard shape.spatial > 1 else {
            throw GantryError.usage("--out \(directory): \(generator.model.rawValue) samples are 2-D points, not images; write FILE.npz, or FILE.png for a scatter plot")
        }
        try makeDirectories(directory)
        let one = FloatBuffer(count: shape.count)
        try generator.forEachChunk(count: count, noise: noise) { chunk, output in
            for (j, index) in chunk.enumerated() {
                gather(sample: j, of: output, chunkCount: chunk.count, shape: shape, into: one.pointer)
                try ImageGrid.make(batch: one.pointer, count: 1, channels: shape.channels, height: shape.height,
                                   width: shape.width, layout: ImageGrid.Layout(padding: 0, scale: scale))
                    .write(to: "\(directory)sample-\(padded(index)).png")
            }
        }
    }

    private static func writeArrays(_ path: String, _ generator: TrainedGenerator, count: Int, noise: SampleNoise) throws {
        let shape = generator.model.sampleShape
        // Channel-major chunks (C, n, H, W) to one sample-major array (N, C, H, W).
        var samples = [Float](repeating: 0, count: count * shape.count)
        samples.withUnsafeMutableBufferPointer { all in
            generator.forEachChunk(count: count, noise: noise) { chunk, output in
                for (j, index) in chunk.enumerated() {
                    gather(sample: j, of: output, chunkCount: chunk.count, shape: shape, into: all.baseAddress! + index * shape.count)
                }
            }
        }
        let sampleShape = shape.spatial == 1 ? [count, shape.channels] : [count, shape.channels, shape.height, shape.width]
        let dimension = generator.model.noiseDimension
        let arrays = [ExportTensor(name: "samples", shape: sampleShape, values: samples),
                      ExportTensor(name: "noise", shape: [count, dimension], values: noise.vectors(count: count, dimension: dimension))]
        try AtomicFile.write(try NPZFile.encode(arrays, source: path), to: path)
    }

    /// Sample `j` of a channel-major chunk (C, n, H, W) into `destination` as (C, H, W).
    private static func gather(sample j: Int, of chunk: UnsafePointer<Float>, chunkCount n: Int, shape: Shape,
                               into destination: UnsafeMutablePointer<Float>) {
        for c in 0..<shape.channels {
            destination.advanced(by: c * shape.spatial).update(from: chunk + (c * n + j) * shape.spatial, count: shape.spatial)
        }
    }
}
