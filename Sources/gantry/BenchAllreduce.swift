import ArgumentParser
import Glibc
import GantryBench
import GantryMPI
import GantryTrain

struct BenchAllreduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allreduce",
        abstract: "Latency and bus bandwidth of MPI_Allreduce next to Gantry's gradient synchronisation (OSU style).",
        discussion: """
        Run it under mpirun with the ranks and network of a training job, e.g. \
        mpirun -np 2 gantry bench allreduce. Sizes double from --min-bytes to --max-bytes. \
        The Gantry column synchronises a gradient buffer of each size as gantry train would \
        with the same --allreduce and --compress (by default one bucket of --allreduce \
        bucketed, what training does per bucket). Bus bandwidth = bytes / time × 2(p−1)/p, comparable with the \
        link speed; with --compress fp16 the bytes are the float gradients', half of which travel.
        """)

    @Option(name: .customLong("min-bytes"), help: "Smallest message.")
    var minimumBytes = 4 << 10

    @Option(name: .customLong("max-bytes"), help: "Largest message.")
    var maximumBytes = 64 << 20

    @Option(help: "Seconds of timed calls per size and variant.")
    var seconds = 0.3

    @Option(help: "Gantry's synchronisation: fused or bucketed.")
    var allreduce = AllreduceMode.bucketed

    @Option(help: "Gradients on the wire: none or fp16.")
    var compress = GradientCompression.none

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard minimumBytes >= 4, maximumBytes >= minimumBytes else {
            throw ValidationError("need 4 <= --min-bytes <= --max-bytes")
        }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
    }

    func run() throws {
        Job.run { communicator in
            // The benchmark's buffer is one layer, so bucketed makes it one bucket whatever the size.
            let synchronization = GradientSynchronizer.Configuration(mode: allreduce, compression: compress, bucketBytes: maximumBytes)
            let gantry = allreduce == .fused ? synchronization.summary
                : "bucketed (one bucket per message), compress \(compress.rawValue)"
            let benchmark = AllreduceBenchmark(communicator: communicator, synchronization: synchronization,
                                               minimumBytes: minimumBytes, maximumBytes: maximumBytes, secondsPerSize: seconds)
            if communicator.isRoot && !json {
                print("# gantry bench allreduce: \(communicator.size) ranks, \(Communicator.libraryVersion); "
                      + "gantry = \(gantry)")
                print(AllreduceBenchmark.header)
            }
            let rows = try benchmark.run { row in
                if communicator.isRoot && !json {
                    print(AllreduceBenchmark.line(row))
                    fflush(stdout)
                }
            }
            if communicator.isRoot && json {
                print(try JSONCoding.line(AllreduceReport(ranks: communicator.size, mpi: Communicator.libraryVersion,
                                                          synchronization: gantry, rows: rows)))
            }
        }
    }
}

struct AllreduceReport: Codable {
    let ranks: Int
    let mpi: String
    let synchronization: String
    let rows: [AllreduceBenchmark.Row]
}
