import GantryNN
import GantryData

/// The model zoo: a generator G and a discriminator D per model, built for a batch size.
///
/// - `mlp`: for 2-D data. G: z(2) → 128 → 128 → 2 with ReLU. D: 2 → 128 → 128 → 1 with LeakyReLU(0.2).
/// - `dcgan28`: 1×28×28, the reference model of the design notes (spatial 1→4→7→14→28 and back).
/// - `dcgan32`: 3×32×32, the same pattern with one more doubling (1→4→8→16→32).
/// - `dcgan64`: 3×64×64, the PyTorch DCGAN example's shapes (1→4→8→16→32→64, G 512→…→64).
public enum ModelKind: String, CaseIterable, Codable {
    case mlp, dcgan28, dcgan32, dcgan64

    /// Length of the noise vector z.
    public var noiseDimension: Int {
        switch self {
        case .mlp: return 2
        case .dcgan28, .dcgan32, .dcgan64: return 100
        }
    }

    /// The shape of one real or generated sample.
    public var sampleShape: Shape {
        switch self {
        case .mlp: return Shape(channels: 2)
        case .dcgan28: return Shape(channels: 1, height: 28, width: 28)
        case .dcgan32: return Shape(channels: 3, height: 32, width: 32)
        case .dcgan64: return Shape(channels: 3, height: 64, width: 64)
        }
    }

    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    public func makeGenerator(batch: Int) -> Network {
        Network(name: "G", layers: generatorLayers(), batchSize: batch)
    }

    public func makeDiscriminator(batch: Int) -> Network {
        Network(name: "D", layers: discriminatorLayers(), batchSize: batch)
    }

    func generatorLayers() -> [Layer] {
        switch self {
        case .mlp:
            return [Linear(2, 128), ReLU(Shape(channels: 128)),
                    Linear(128, 128), ReLU(Shape(channels: 128)),
                    Linear(128, 2)]
        case .dcgan28:
            // 1 → 4 → 7 → 14 → 28
            return ConvStack.generator(noise: 100, channels: [256, 128, 64], output: 1,
                                       kernels: [4, 3, 4, 4])
        case .dcgan32:
            // 1 → 4 → 8 → 16 → 32
            return ConvStack.generator(noise: 100, channels: [256, 128, 64], output: 3,
                                       kernels: [4, 4, 4, 4])
        case .dcgan64:
            // 1 → 4 → 8 → 16 → 32 → 64
            return ConvStack.generator(noise: 100, channels: [512, 256, 128, 64], output: 3,
                                       kernels: [4, 4, 4, 4, 4])
        }
    }

    func discriminatorLayers() -> [Layer] {
        switch self {
        case .mlp:
            return [Linear(2, 128), LeakyReLU(Shape(channels: 128), slope: 0.2),
                    Linear(128, 128), LeakyReLU(Shape(channels: 128), slope: 0.2),
                    Linear(128, 1)]
        case .dcgan28:
            // 28 → 14 → 7 → 4 → 1
            return ConvStack.discriminator(input: sampleShape, channels: [64, 128, 256], kernels: [4, 4, 3, 4])
        case .dcgan32:
            // 32 → 16 → 8 → 4 → 1
            return ConvStack.discriminator(input: sampleShape, channels: [64, 128, 256], kernels: [4, 4, 4, 4])
        case .dcgan64:
            // 64 → 32 → 16 → 8 → 4 → 1
            return ConvStack.discriminator(input: sampleShape, channels: [64, 128, 256, 512], kernels: [4, 4, 4, 4, 4])
        }
    }

    /// Initial parameters, deterministic from the seed. DCGAN models use the DCGAN paper's
    /// N(0, 0.02) weights, N(1, 0.02) BatchNorm scales and zero shifts; `mlp` uses PyTorch's
    /// default for Linear, U(±1/√fan_in) for weights and biases.
    /// `substream` keeps G's and D's draws apart.
    public func initialize(_ network: Network, seed: UInt64, substream: UInt64) {
        var random = SequentialRandom(seed: seed, stream: CounterRandom.Stream.weights, substream: substream)
        network.resetState()
        for entry in network.parameterTensors {
            let values = network.parameters.pointer + entry.range.lowerBound
            for i in 0..<entry.range.count {
                switch (self, entry.tensor.role) {
                case (.mlp, .weight), (.mlp, .bias):
                    let bound = 1 / Float(entry.tensor.fanIn).squareRoot()
                    values[i] = (2 * random.uniform() - 1) * bound
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
}

extension ModelKind {
    /// Floats of parameters and of state (BatchNorm statistics) of G and D, from the layer
    /// definitions, without allocating the networks' activations.
    public var parameterCounts: (generator: (parameters: Int, state: Int), discriminator: (parameters: Int, state: Int)) {
        func count(_ layers: [Layer]) -> (parameters: Int, state: Int) {
            (layers.reduce(0) { $0 + $1.parameterCount }, layers.reduce(0) { $0 + $1.stateCount })
        }
        return (count(generatorLayers()), count(discriminatorLayers()))
    }

    /// Whether the networks hold BatchNorm layers (which need two samples per batch).
    public var usesBatchNorm: Bool { self != .mlp }
}
