import GantryData
import GantryMPI
import GantryNN
import GantryTrain

/// `gantry bench allreduce`, in the manner of the OSU micro-benchmarks: for each message size,
/// the latency of a raw in-place MPI_Allreduce of floats next to Gantry's synchronisation of
/// the same gradient bytes (a `GradientSynchronizer` over a buffer of that size, configured
/// like `gantry train`: by default one bucket of `--allreduce bucketed`, what training does
/// per bucket), and their bus bandwidth. Under `--compress fp16` the bytes are
/// still the float gradients', of which half travel.
///
/// Bus bandwidth follows nccl-tests: algorithm bandwidth (bytes / time) × 2(p − 1)/p, the
/// share of the data each rank must send and receive in a ring allreduce, so that figures
/// for different rank counts compare with the link speed.
public struct AllreduceBenchmark {
    public struct Row: Codable {
        public let bytes: Int
        public let iterations: Int
        /// Mean time per call, the slowest rank's.
        public let rawUs: Double
        public let gantryUs: Double
        public let rawBusGbps: Double
        public let gantryBusGbps: Double
    }

    public let communicator: Communicator
    /// What the Gantry column runs.
    public let synchronization: GradientSynchronizer.Configuration
    public let sizes: [Int]
    /// Seconds of timed calls to aim for per size and variant.
    public let secondsPerSize: Double

    public init(communicator: Communicator, synchronization: GradientSynchronizer.Configuration,
                minimumBytes: Int = 4 << 10, maximumBytes: Int = 64 << 20, secondsPerSize: Double = 0.3) {
        self.communicator = communicator
        self.synchronization = synchronization
        self.secondsPerSize = secondsPerSize
        sizes = Array(sequence(first: minimumBytes) { $0 * 2 }.prefix { $0 <= maximumBytes })
    }

    public func run(progress: (Row) -> Void) throws -> [Row] {
        var rows: [Row] = []
        for bytes in sizes {
            // Small values (sums stay far from the half range under --compress fp16).
            let buffer = FloatBuffer(count: bytes / 4)
            for i in 0..<buffer.count { buffer[i] = Float(i % 97) * 1e-6 }
            let raw = { try communicator.allreduce(buffer.pointer, count: buffer.count, op: .sum) }
            // The whole buffer as one layer: one bucket, started and finished.
            let synchronizer = GradientSynchronizer(gradients: buffer, layers: [0..<buffer.count],
                                                    communicator: communicator, configuration: synchronization)
            let gantry = { try synchronizer.finish() }
            // A few calls to warm up and estimate, then enough to fill the time budget; the
            // count is agreed (max) so that every rank makes the same calls.
            let estimate = try time(raw, iterations: 3)
            let wanted = Double(min(2000, max(5, Int(secondsPerSize / max(estimate, 1e-7)))))
            let iterations = Int(try communicator.allreduce([wanted], op: .max)[0])
            var rawSeconds = 0.0, gantrySeconds = 0.0
            for _ in 0..<2 {  // interleaved halves, so drift affects both alike
                rawSeconds += try time(raw, iterations: iterations / 2)
                gantrySeconds += try time(gantry, iterations: iterations / 2)
            }
            let ringShare = communicator.size > 1 ? 2 * Double(communicator.size - 1) / Double(communicator.size) : 1
            func bus(_ seconds: Double) -> Double { Double(bytes) / (seconds / 2) * ringShare / 1e9 }
            let row = Row(bytes: bytes, iterations: iterations / 2 * 2,
                          rawUs: rawSeconds / 2 * 1e6, gantryUs: gantrySeconds / 2 * 1e6,
                          rawBusGbps: bus(rawSeconds), gantryBusGbps: bus(gantrySeconds))
            rows.append(row)
            progress(row)
        }
        return rows
    }

    /// Mean seconds per call of `operation` over `iterations` calls, the slowest rank's.
    private func time(_ operation: () throws -> Void, iterations: Int) throws -> Double {
        try communicator.barrier()
        var clock = Clock()
        for _ in 0..<max(iterations, 1) { try operation() }
        let mine = clock.lap() / Double(max(iterations, 1))
        return try communicator.allreduce([mine], op: .max)[0]
    }

    public static let header = "     bytes   iters    raw µs  gantry µs  raw bus GB/s  gantry bus GB/s  gantry/raw"

    public static func line(_ row: Row) -> String {
        let ratio = row.rawUs > 0 ? row.gantryUs / row.rawUs : 0
        return row.bytes.description.rightAligned(10) + String(row.iterations).rightAligned(8)
            + fixed(row.rawUs, 1).rightAligned(10) + fixed(row.gantryUs, 1).rightAligned(11)
            + fixed(row.rawBusGbps, 2).rightAligned(14) + fixed(row.gantryBusGbps, 2).rightAligned(17)
            + fixed(ratio, 3).rightAligned(12)
    }
}
