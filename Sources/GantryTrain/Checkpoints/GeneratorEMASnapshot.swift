/// The moving average of G (`--g-ema-kimg`, GeneratorEMA) as a checkpoint holds it: the
/// sections `G_ema.parameters`, `G_ema.state` and `G_ema.images` (format version 4).
public struct GeneratorEMASnapshot: NetworkWeights {
    public var parameters: [Float]
    public var state: [Float]
    /// Images G trained on since the average began (the warm-up depends on it).
    public var images: Int

    public init(parameters: [Float], state: [Float], images: Int) {
        self.parameters = parameters
        self.state = state
        self.images = images
    }
}
