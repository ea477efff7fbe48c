import GantryNN
import GantryData

/// The model zoo: what a model's samples and noise are. Its networks, G and D, are built by
/// `Architecture`, which adds the options that shape them (widths, BatchNorm, maxout, packing).
///
/// - `mlp`: for 2-D data. By default G: z(2) → 128 → 128 → 2 with ReLU; D: 2 → 128 → 128 → 1
///   with LeakyReLU(0.2).
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
}
