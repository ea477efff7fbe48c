import GantryNN

// What a rank's Trainer holds for its model, twice side by side: estimated from the layer
// definitions before anything is built (the memory budget), and counted from the buffers
// once built (`gantry bench step`'s "model buffers"). A buffer added to the trainer belongs
// in both; a test keeps them close.

extension Architecture {
    /// G's and D's footprints at `batch`, without building them.
    public func footprints(batch: Int) -> (generator: NetworkFootprint, discriminator: NetworkFootprint) {
        (NetworkFootprint(layers: generatorLayers(), batch: batch),
         NetworkFootprint(layers: discriminatorLayers(), batch: batch))
    }

    /// Floats a Trainer at local batch `batch` will allocate for its model (see
    /// `allocatedFloats`), with R1's buffers when `gradientPenalty`.
    public func trainerFloats(batch: Int, gradientPenalty: Bool = false) -> Double {
        let (g, d) = footprints(batch: batch)
        let moments = Double(2 * (g.parameters + d.parameters))
        let batches = Double(batch) * Double(sampleShape.count + noiseDimension + 1)  // real, noise, logit gradient
        let penalty = gradientPenalty ? Double(GradientPenalty.bufferFloats(layers: discriminatorLayers(), batch: batch)) : 0
        return g.trainingFloats + d.trainingFloats + NetworkFootprint.scratchFloats([g, d]) + moments + batches + penalty
    }
}

extension Trainer {
    /// Floats the trainer allocated for its model: G's and D's parameters, gradients and
    /// state, both Adam optimisers' moments, the networks' activations, their scratch space
    /// (workspace and backward buffers, counted once when shared), the real, noise and
    /// logit-gradient batches, R1's buffers, and G's moving average (`--g-ema-kimg`).
    public var allocatedFloats: Int {
        let networks = [generator, discriminator].reduce(0) {
            $0 + 2 * $1.parameters.count + $1.state.count + $1.activationMemoryFloats
        }
        let scratch = generator.scratch === discriminator.scratch
            ? generator.scratch.allocatedFloats
            : generator.scratch.allocatedFloats + discriminator.scratch.allocatedFloats
        let moments = 2 * (generator.parameters.count + discriminator.parameters.count)
        let n = plan.localBatch
        return networks + scratch + moments + n * (plan.model.sampleShape.count + plan.model.noiseDimension + 1)
            + (gradientPenalty?.allocatedFloats ?? 0)
            + (generatorEMA?.floats ?? 0)
    }
}
