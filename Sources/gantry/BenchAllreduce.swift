import ArgumentParser
import Foundation
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
        with the same --allreduce, --overlap and --compress (by default one bucket of \
        --allreduce bucketed). Bus bandwidth = bytes / time × 2(p−1)/p, comparable with the \
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

    @Option(help: "What runs --allreduce bucketed: poll or thread.")
    var overlap = OverlapEngine.poll

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
            var options = TrainingOptions()
            (options.allreduce, options.overlap, options.compress) = (allreduce, overlap, compress)
            let gantry = allreduce == .fused ? "fused, compress \(compress.rawValue)"
                : "bucketed (one bucket per message), overlap \(overlap.rawValue), compress \(compress.rawValue)"
            let benchmark = AllreduceBenchmark(communicator: communicator, synchronization: options.synchronization,
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
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                let report = AllreduceReport(ranks: communicator.size, mpi: Communicator.libraryVersion,
                                             synchronization: gantry, rows: rows)
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
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
