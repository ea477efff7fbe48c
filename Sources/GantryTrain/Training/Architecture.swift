import GantryNN
import GantryData

/// A model's networks as the options shape them: the model kind, and for the 2-D benchmarks
/// the MLP's hidden widths, BatchNorm in G and maxout units in D; for every model, packing
/// and minibatch standard deviation in D (docs/quality.md). Built from `TrainingOptions`, so
/// a checkpoint's header (which stores the options) says how to rebuild its networks.
///
/// - G (`mlp`): z(2) → [Linear(→w) (BatchNorm) ReLU] per width → Linear(→2). Linear layers
///   before a BatchNorm have no bias (its shift makes one redundant).
/// - D (`mlp`): (Pack(m)) → [Linear(→w·pieces) Maxout(pieces)] per width, or with one piece
///   [Linear(→w) LeakyReLU(0.2)] → (MinibatchStddev) → Linear(→1), a logit.
/// - D (DCGAN models): (Pack(m)) → the DCGAN stack, BatchNorm or a convolution bias between
///   its convolutions (`--d-norm`), with MinibatchStddev before its last convolution.
public struct Architecture: Equatable {
    public let kind: ModelKind
    /// Hidden widths of the `mlp` generator and discriminator, input side first.
    public var generatorWidths = [128, 128]
    public var discriminatorWidths = [128, 128]
    public var generatorBatchNorm = false
    /// Pieces per maxout unit of the `mlp` discriminator; 1: LeakyReLU(0.2) units instead.
    public var maxoutPieces = 1
    /// Samples D judges together (PacGAN's m); 1: no packing.
    public var pack = 1
    public var minibatchStddev = false
    /// What sits between a DCGAN D's convolutions (the mlp D has nothing there).
    public var discriminatorNorm = DiscriminatorNorm.batch
    /// Samples per minibatch-stddev group (Karras et al. use 4).
    public static let minibatchStddevGroup = 4

    /// The model's standard networks.
    public init(_ kind: ModelKind) { self.kind = kind }

    /// The settings `init(_:options:)` reads (a resume may not change them).
    static let settingNames = ["g_widths", "d_widths", "g_batch_norm", "maxout", "pack", "mbstd", "d_norm"]

    /// The networks of `kind` that `options` ask for (options that parsed are valid:
    /// `TrainingOptions.validate`).
    public init(_ kind: ModelKind, options: TrainingOptions) {
        self.kind = kind
        if let widths = options.generatorWidthList { generatorWidths = widths }
        if let widths = options.discriminatorWidthList { discriminatorWidths = widths }
        generatorBatchNorm = options.gBatchNorm
        maxoutPieces = options.maxout
        pack = options.pack
        minibatchStddev = options.mbstd
        discriminatorNorm = options.dNorm
    }

    /// The largest networks the options allow for `kind`, which bound a checkpoint's size.
    static func largest(_ kind: ModelKind) -> Architecture {
        var largest = Architecture(kind)
        if kind == .mlp {
            largest.generatorWidths = Array(repeating: TrainingOptions.widthLimits.width, count: TrainingOptions.widthLimits.depth)
            largest.discriminatorWidths = largest.generatorWidths
            largest.generatorBatchNorm = true
            largest.maxoutPieces = TrainingOptions.maxoutLimit
        }
        largest.pack = TrainingOptions.packLimit
        largest.minibatchStddev = true  // D with BatchNorm (the default norm) is the larger one
        return largest
    }

    /// The shaping options as flags, e.g. "--g-widths 400,400 --g-batch-norm --pack 2"
    /// ("standard" for the model's own networks).
    public var summary: String {
        var parts: [String] = []
        if kind == .mlp {
            parts += ["--g-widths " + generatorWidths.map(String.init).joined(separator: ","),
                      "--d-widths " + discriminatorWidths.map(String.init).joined(separator: ",")]
            if generatorBatchNorm { parts.append("--g-batch-norm") }
            if maxoutPieces > 1 { parts.append("--maxout \(maxoutPieces)") }
        }
        if pack > 1 { parts.append("--pack \(pack)") }
        if minibatchStddev { parts.append("--mbstd") }
        if kind != .mlp && discriminatorNorm != .batch { parts.append("--d-norm \(discriminatorNorm.rawValue)") }
        return parts.isEmpty ? "standard" : parts.joined(separator: " ")
    }

    public var noiseDimension: Int { kind.noiseDimension }
    public var sampleShape: Shape { kind.sampleShape }

    public func makeGenerator(batch: Int) -> Network {
        Network(name: "G", layers: generatorLayers(), batchSize: batch)
    }

    /// D for `batch` samples; it judges `batch / pack` packed samples.
    public func makeDiscriminator(batch: Int) -> Network {
        Network(name: "D", layers: discriminatorLayers(), batchSize: batch)
    }

    public func generatorLayers() -> [Layer] {
        switch kind {
        case .mlp:
            var layers: [Layer] = [], features = kind.noiseDimension
            for width in generatorWidths {
                let shape = Shape(channels: width)
                layers.append(Linear(features, width, bias: !generatorBatchNorm))
                if generatorBatchNorm { layers.append(BatchNorm(shape)) }
                layers.append(ReLU(shape))
                features = width
            }
            return layers + [Linear(features, kind.sampleShape.channels)]
        case .dcgan28:
            // 1 → 4 → 7 → 14 → 28
            return ConvStack.generator(noise: 100, channels: [256, 128, 64], output: 1, kernels: [4, 3, 4, 4])
        case .dcgan32:
            // 1 → 4 → 8 → 16 → 32
            return ConvStack.generator(noise: 100, channels: [256, 128, 64], output: 3, kernels: [4, 4, 4, 4])
        case .dcgan64:
            // 1 → 4 → 8 → 16 → 32 → 64
            return ConvStack.generator(noise: 100, channels: [512, 256, 128, 64], output: 3, kernels: [4, 4, 4, 4, 4])
        }
    }

    public func discriminatorLayers() -> [Layer] {
        let sample = kind.sampleShape
        let packed = Shape(channels: sample.channels * pack, height: sample.height, width: sample.width)
        let packing: [Layer] = pack > 1 ? [Pack(sample, count: pack)] : []
        switch kind {
        case .mlp:
            var layers = packing, features = packed.channels
            for width in discriminatorWidths {
                let shape = Shape(channels: width)
                if maxoutPieces > 1 {
                    layers += [Linear(features, width * maxoutPieces), Maxout(shape, pieces: maxoutPieces)]
                } else {
                    layers += [Linear(features, width), LeakyReLU(shape, slope: 0.2)]
                }
                features = width
            }
            if minibatchStddev {
                layers.append(MinibatchStddev(Shape(channels: features), groupSize: Self.minibatchStddevGroup))
                features += 1
            }
            return layers + [Linear(features, 1)]
        case .dcgan28:
            // 28 → 14 → 7 → 4 → 1
            return packing + convolutionalDiscriminator(input: packed, channels: [64, 128, 256], kernels: [4, 4, 3, 4])
        case .dcgan32:
            // 32 → 16 → 8 → 4 → 1
            return packing + convolutionalDiscriminator(input: packed, channels: [64, 128, 256], kernels: [4, 4, 4, 4])
        case .dcgan64:
            // 64 → 32 → 16 → 8 → 4 → 1
            return packing + convolutionalDiscriminator(input: packed, channels: [64, 128, 256, 512], kernels: [4, 4, 4, 4, 4])
        }
    }

    private func convolutionalDiscriminator(input: Shape, channels: [Int], kernels: [Int]) -> [Layer] {
        ConvStack.discriminator(input: input, channels: channels, kernels: kernels, norm: discriminatorNorm,
                                minibatchStddevGroup: minibatchStddev ? Self.minibatchStddevGroup : nil)
    }

    /// Initial parameters, deterministic from the seed. DCGAN models use the DCGAN paper's
    /// N(0, 0.02) weights, N(1, 0.02) BatchNorm scales and zero shifts; `mlp` uses PyTorch's
    /// defaults: U(±1/√fan_in) for Linear weights and biases, BatchNorm scales 1 and shifts 0.
    /// `substream` keeps G's and D's draws apart.
    public func initialize(_ network: Network, seed: UInt64, substream: UInt64) {
        var random = SequentialRandom(seed: seed, stream: CounterRandom.Stream.weights, substream: substream)
        network.resetState()
        for entry in network.parameterTensors {
            let values = network.parameters.pointer + entry.range.lowerBound
            for i in 0..<entry.range.count {
                switch (kind, entry.tensor.role) {
                case (.mlp, .weight), (.mlp, .bias):
                    let bound = 1 / Float(entry.tensor.fanIn).squareRoot()
                    values[i] = (2 * random.uniform() - 1) * bound
                case (.mlp, .scale):
                    values[i] = 1
                case (_, .weight):
                    values[i] = 0.02 * random.normal()
                case (_, .scale):
                    values[i] = 1 + 0.02 * random.normal()
                case (_, .shift), (_, .bias):
                    values[i] = 0
                }
            }
        }
    }

    /// Floats of parameters and of state (BatchNorm statistics) of G and D, from the layer
    /// definitions, without allocating the networks' activations.
    public var parameterCounts: (generator: (parameters: Int, state: Int), discriminator: (parameters: Int, state: Int)) {
        func count(_ layers: [Layer]) -> (parameters: Int, state: Int) {
            (layers.reduce(0) { $0 + $1.parameterCount }, layers.reduce(0) { $0 + $1.stateCount })
        }
        return (count(generatorLayers()), count(discriminatorLayers()))
    }

    /// Whether the networks hold BatchNorm layers (which need two samples per batch).
    public var usesBatchNorm: Bool { kind != .mlp || generatorBatchNorm }
}
