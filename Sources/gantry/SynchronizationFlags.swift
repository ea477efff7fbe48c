import ArgumentParser
import GantryTrain

/// The gradient-synchronisation flags of `gantry train` and `gantry bench step`. Each is
/// optional so that a resumed run keeps the checkpoint's value unless the flag is given.
struct SynchronizationFlags: ParsableArguments {
    @Option(help: "Gradient allreduce: fused (one per network after backward, the default) or bucketed (buckets started during backward).")
    var allreduce: AllreduceMode?

    @Option(name: .customLong("bucket-mb"), help: "Bucket size of --allreduce bucketed, in MB. Default 1.")
    var bucketMegabytes: Double?

    @Option(help: "What overlaps --allreduce bucketed with backward: poll (MPI_Iallreduce, progressed after every layer; the default) or thread (a communication thread running blocking allreduces).")
    var overlap: OverlapEngine?

    @Option(help: "Gradients on the wire: none (floats, the default) or fp16 (IEEE halves added in float: half the bytes, about 3 significant digits).")
    var compress: GradientCompression?

    /// Applies the flags given, and only those, to `options`.
    func apply(to options: inout TrainingOptions) throws {
        if let allreduce { options.allreduce = allreduce }
        if let bucketMegabytes { options.bucketMegabytes = bucketMegabytes }
        if let overlap { options.overlap = overlap }
        if let compress { options.compress = compress }
        if overlap != nil && options.allreduce == .fused {
            throw GantryError("--overlap applies to --allreduce bucketed, and this run's allreduce is fused")
        }
    }
}

// The flags whose values are one of a fixed set: ArgumentParser checks them and lists the
// choices in --help and in its error.
extension AllreduceMode: ExpressibleByArgument {}
extension OverlapEngine: ExpressibleByArgument {}
extension GradientCompression: ExpressibleByArgument {}
extension GeneratorLoss: ExpressibleByArgument {}
extension NonFinitePolicy: ExpressibleByArgument {}
