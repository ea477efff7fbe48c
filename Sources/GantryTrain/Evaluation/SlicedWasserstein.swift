import GantryData
import GantryNN

/// Sliced Wasserstein distance between Laplacian-pyramid patches of two image sets, as in
/// Karras et al. 2018 ("Progressive Growing of GANs", appendix D): needs no labels and no
/// network. Each image's Laplacian pyramid is built (2×2 averages down, nearest-neighbour up,
/// while the side is even and halving leaves at least 14); `patchesPerImage` random 7×7
/// patches per level are kept as descriptors; each set's descriptors are normalised per
/// channel (mean 0, std 1 over all its patches); the distance per level is the mean over
/// random unit directions of the 1-D Wasserstein-1 distance of the projections (sorted,
/// compared pairwise), ×10³ as in the paper.
public struct PyramidPatches {
    public static let patchSide = 7
    public static let patchesPerImage = 16
    /// Random directions per level (the paper: 4 × 128).
    public static let directionCount = 512
    public let shape: SampleShape
    public let levels: Int
    public private(set) var images = 0
    /// Per level, the descriptors (`channels · 49` floats each), image after image.
    private(set) var descriptors: [[Float]]

    public init(shape: SampleShape) {
        self.shape = shape
        var levels = 1, side = min(shape.height, shape.width)
        while side % 2 == 0 && side / 2 >= 2 * Self.patchSide { side /= 2; levels += 1 }
        self.levels = levels
        descriptors = Array(repeating: [], count: levels)
    }

    var descriptorSize: Int { shape.channels * Self.patchSide * Self.patchSide }

    /// Adds sample `j` of a channel-major (C, n, H, W) batch as image number `images`: its
    /// patch positions depend on that number only.
    mutating func add(_ batch: UnsafePointer<Float>, sample j: Int, batchSize n: Int) {
        let plane = shape.spatial
        var gaussian = [Float](repeating: 0, count: shape.count)   // (C, H, W) of this image
        for c in 0..<shape.channels {
            for p in 0..<plane { gaussian[c * plane + p] = batch[(c * n + j) * plane + p] }
        }
        var height = shape.height, width = shape.width
        let random = CounterRandom(seed: 0x5357_44, stream: CounterRandom.Stream.evaluation)
        for level in 0..<levels {
            // Laplacian level = this Gaussian level − the next one brought back up; the last is the Gaussian.
            var laplacian = gaussian
            var smaller: [Float] = []
            if level + 1 < levels {
                smaller = [Float](repeating: 0, count: shape.channels * height * width / 4)
                let h2 = height / 2, w2 = width / 2
                for c in 0..<shape.channels {
                    for y in 0..<h2 {
                        for x in 0..<w2 {
                            let top = (c * height + 2 * y) * width + 2 * x, bottom = top + width
                            smaller[(c * h2 + y) * w2 + x] = (gaussian[top] + gaussian[top + 1] + gaussian[bottom] + gaussian[bottom + 1]) / 4
                        }
                    }
                    for y in 0..<height {
                        for x in 0..<width { laplacian[(c * height + y) * width + x] -= smaller[(c * h2 + y / 2) * w2 + x / 2] }
                    }
                }
            }
            for k in 0..<Self.patchesPerImage {
                let address = UInt64(((images * levels + level) * Self.patchesPerImage + k) * 2)
                let top = Int(random.uniform(at: address) * Float(height - Self.patchSide + 1))
                let left = Int(random.uniform(at: address + 1) * Float(width - Self.patchSide + 1))
                for c in 0..<shape.channels {
                    for y in 0..<Self.patchSide {
                        let row = (c * height + min(top, height - Self.patchSide) + y) * width + min(left, width - Self.patchSide)
                        descriptors[level] += laplacian[row..<row + Self.patchSide]
                    }
                }
            }
            if level + 1 < levels { gaussian = smaller; height /= 2; width /= 2 }
        }
        images += 1
    }

    /// SWD ×10³ per level between the first `m` images' patches of each set, m the smaller image count.
    public static func distance(_ a: PyramidPatches, _ b: PyramidPatches) -> [Double] {
        precondition(a.shape == b.shape, "SWD of images of different shapes")
        let m = min(a.images, b.images) * patchesPerImage, size = a.descriptorSize, k = directionCount
        let directions = randomDirections(count: k, dimension: size)
        return (0..<a.levels).map { level in
            let x = normalised(Array(a.descriptors[level].prefix(m * size)), channels: a.shape.channels)
            let y = normalised(Array(b.descriptors[level].prefix(m * size)), channels: a.shape.channels)
            // Projections transposed, one direction per row, so each sorts in place:
            // (k × m) = directionsᵀ (k × size) · descriptorsᵀ (size × m)
            var projectedX = [Float](repeating: 0, count: k * m), projectedY = projectedX
            sgemm(transposeA: true, transposeB: true, m: k, n: m, k: size, a: directions, b: x, c: &projectedX)
            sgemm(transposeA: true, transposeB: true, m: k, n: m, k: size, a: directions, b: y, c: &projectedY)
            var total = 0.0
            for d in 0..<k {
                projectedX[d * m..<(d + 1) * m].sort()
                projectedY[d * m..<(d + 1) * m].sort()
                for i in d * m..<(d + 1) * m { total += Double(abs(projectedX[i] - projectedY[i])) }
            }
            return 1000 * total / Double(k * max(m, 1))
        }
    }

    /// Unit vectors (columns of a `dimension × count` matrix), the same for every call.
    private static func randomDirections(count: Int, dimension: Int) -> [Float] {
        var random = SequentialRandom(seed: 0x5357_44, stream: CounterRandom.Stream.evaluation, substream: 3)
        var directions = (0..<count * dimension).map { _ in random.normal() }
        for d in 0..<count {
            let norm = (0..<dimension).reduce(Float(0)) { $0 + directions[$1 * count + d] * directions[$1 * count + d] }.squareRoot()
            for i in 0..<dimension { directions[i * count + d] /= norm }
        }
        return directions
    }

    /// Descriptors with each channel's values (over all patches and pixels) shifted to mean 0, scaled to std 1.
    private static func normalised(_ descriptors: [Float], channels: Int) -> [Float] {
        var result = descriptors
        let perChannel = patchSide * patchSide, size = channels * perChannel
        let patches = descriptors.count / max(size, 1)
        for c in 0..<channels {
            var sum = 0.0, squares = 0.0
            for p in 0..<patches { for i in 0..<perChannel { let v = Double(descriptors[p * size + c * perChannel + i]); sum += v; squares += v * v } }
            let n = Double(max(patches * perChannel, 1)), mean = sum / n
            let std = max((squares / n - mean * mean).squareRoot(), 1e-8)
            for p in 0..<patches { for i in 0..<perChannel { result[p * size + c * perChannel + i] = Float((Double(descriptors[p * size + c * perChannel + i]) - mean) / std) } }
        }
        return result
    }
}
