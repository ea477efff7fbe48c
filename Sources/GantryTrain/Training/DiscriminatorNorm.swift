/// The normalisation between a DCGAN discriminator's convolutions (`--d-norm`).
///
/// `batch` is the DCGAN paper's BatchNorm, with no convolution bias (BatchNorm's shift makes
/// one redundant). `none` puts a convolution bias where BatchNorm was: each sample's logit
/// then depends on that sample alone, which a gradient penalty (R1) needs. The mlp model's
/// D has no normalisation either way.
public enum DiscriminatorNorm: String, CaseIterable, Codable {
    case batch
    case none

    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
