import Glibc
import GantryTrain

extension Trainer {
    /// Floats the trainer allocated for its model: G's and D's parameters, gradients and
    /// state, both Adam optimisers' moments, the networks' activations, their scratch space
    /// (workspace and backward buffers, counted once when shared), and the real, noise and
    /// logit-gradient batches.
    var allocatedFloats: Int {
        let networks = [generator, discriminator].reduce(0) {
            $0 + 2 * $1.parameters.count + $1.state.count + $1.activationMemoryFloats
        }
        let scratch = generator.scratch === discriminator.scratch
            ? generator.scratch.allocatedFloats
            : generator.scratch.allocatedFloats + discriminator.scratch.allocatedFloats
        let moments = 2 * (generator.parameters.count + discriminator.parameters.count)
        let n = plan.localBatch
        return networks + scratch + moments + n * (plan.model.sampleShape.count + plan.model.noiseDimension + 1)
    }
}


/// This process's memory as the kernel counts it.
enum Memory {
    /// The peak resident set size so far (getrusage's ru_maxrss, kilobytes on Linux).
    static var peakResidentBytes: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) * 1024
    }
}
