import CMPI
import Glibc

/// An MPI call that returned an error code, turned into a Swift error.
public struct MPIError: Error, CustomStringConvertible {
    public let call: String
    public let code: Int32
    public let message: String
    public var description: String { "\(call) failed: \(message) (MPI error \(code))" }
}

/// The Swift face of MPI for Gantry: one process per rank, on MPI_COMM_WORLD, called from
/// one thread.
///
/// Collectives work in place on Float, Double, half-precision (UInt16) or byte buffers; the
/// array forms (`[Double]`, `[UInt8]`) return new arrays. Errors come back as
/// `MPIError` (the communicator is switched to MPI_ERRORS_RETURN), and `abort` ends
/// the whole job: every rank, on every node, so nobody is left waiting in a collective.
public final class Communicator {
    public let rank: Int
    public let size: Int
    private let comm: MPI_Comm
    /// The reduction of `allreduce(halves:)`, made once per communicator.
    private let halfSum: MPI_Op

    /// Initialises MPI (once per process). Works with or without mpirun: a process
    /// started alone is a world of one rank.
    public static func initialize() throws -> Communicator {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            try check("MPI_Init", MPI_Init(nil, nil))
        }
        return try Communicator(comm: gantry_mpi_comm_world())
    }

    private init(comm: MPI_Comm) throws {
        self.comm = comm
        MPI_Comm_set_errhandler(comm, gantry_mpi_errors_return())
        var r: Int32 = 0, s: Int32 = 0
        try Self.check("MPI_Comm_rank", MPI_Comm_rank(comm, &r))
        try Self.check("MPI_Comm_size", MPI_Comm_size(comm, &s))
        rank = Int(r)
        size = Int(s)
        halfSum = try HalfPrecision.makeSumOperation()
    }

    public var isRoot: Bool { rank == 0 }

    /// Ends MPI cleanly; call once at the end of a successful run.
    public func finalize() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }

    /// Ends every rank of the job with `code`. Never returns.
    public func abort(code: Int32 = 1) -> Never {
        fflush(stdout)
        fflush(stderr)
        MPI_Abort(comm, code)
        exit(code)  // MPI_Abort does not return; this satisfies the type checker.
    }

    public func barrier() throws {
        try Self.check("MPI_Barrier", MPI_Barrier(comm))
    }

    // MARK: Allreduce

    public enum ReduceOp { case sum, min, max }

    private static func op(_ op: ReduceOp) -> MPI_Op {
        switch op {
        case .sum: return gantry_mpi_sum()
        case .min: return gantry_mpi_min()
        case .max: return gantry_mpi_max()
        }
    }

    /// In-place allreduce of `count` floats.
    public func allreduce(_ buffer: UnsafeMutablePointer<Float>, count: Int, op: ReduceOp = .sum) throws {
        guard size > 1, count > 0 else { return }
        try Self.check("MPI_Allreduce", MPI_Allreduce(gantry_mpi_in_place(), buffer, Int32(count),
                                                       gantry_mpi_float(), Self.op(op), comm))
    }

    /// In-place allreduce of `count` doubles.
    public func allreduce(_ buffer: UnsafeMutablePointer<Double>, count: Int, op: ReduceOp = .sum) throws {
        guard size > 1, count > 0 else { return }
        try Self.check("MPI_Allreduce", MPI_Allreduce(gantry_mpi_in_place(), buffer, Int32(count),
                                                       gantry_mpi_double(), Self.op(op), comm))
    }

    /// In-place allreduce-sum of `count` IEEE half-precision values, added in float
    /// (`HalfPrecision`): gradient compression, half the bytes of floats on the wire.
    public func allreduce(halves buffer: UnsafeMutablePointer<UInt16>, count: Int) throws {
        guard size > 1, count > 0 else { return }
        try Self.check("MPI_Allreduce", MPI_Allreduce(gantry_mpi_in_place(), buffer, Int32(count),
                                                       gantry_mpi_uint16(), halfSum, comm))
    }

    /// Allreduce of a small array of doubles (losses, flags, checksums).
    public func allreduce(_ values: [Double], op: ReduceOp = .sum) throws -> [Double] {
        var result = values
        try result.withUnsafeMutableBufferPointer { try allreduce($0.baseAddress!, count: $0.count, op: op) }
        return result
    }

    // MARK: Non-blocking allreduce

    /// Starts an in-place allreduce-sum of `count` floats into `slot` of `requests`; it is
    /// complete after `waitAll`. Until then the buffer must not be touched.
    public func startAllreduce(_ buffer: UnsafeMutablePointer<Float>, count: Int, slot: Int, of requests: RequestSlots) throws {
        guard size > 1, count > 0 else { return }
        try Self.check("MPI_Iallreduce", MPI_Iallreduce(gantry_mpi_in_place(), buffer, Int32(count), gantry_mpi_float(),
                                                         gantry_mpi_sum(), comm, requests.pointer + slot))
    }

    /// `startAllreduce` of half-precision values, added in float.
    public func startAllreduce(halves buffer: UnsafeMutablePointer<UInt16>, count: Int, slot: Int, of requests: RequestSlots) throws {
        guard size > 1, count > 0 else { return }
        try Self.check("MPI_Iallreduce", MPI_Iallreduce(gantry_mpi_in_place(), buffer, Int32(count), gantry_mpi_uint16(),
                                                         halfSum, comm, requests.pointer + slot))
    }

    /// Lets MPI advance the requests in flight (non-blocking collectives move only inside
    /// MPI calls); those that completed become null again (`RequestSlots.isDone`).
    public func progress(_ requests: RequestSlots) throws {
        guard size > 1 else { return }
        var completed: Int32 = 0
        try Self.check("MPI_Testsome", MPI_Testsome(Int32(requests.count), requests.pointer, &completed,
                                                    requests.completedIndices, gantry_mpi_statuses_ignore()))
    }

    /// Waits for every request in `requests`; completed slots become null again.
    public func waitAll(_ requests: RequestSlots) throws {
        guard size > 1 else { return }
        try Self.check("MPI_Waitall", MPI_Waitall(Int32(requests.count), requests.pointer, gantry_mpi_statuses_ignore()))
    }

    // MARK: Broadcast

    public func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, root: Int = 0) throws {
        guard size > 1, count > 0 else { return }
        try Self.check("MPI_Bcast", MPI_Bcast(buffer, Int32(count), gantry_mpi_float(), Int32(root), comm))
    }

    public func broadcast(bytes: UnsafeMutableRawPointer, count: Int, root: Int = 0) throws {
        guard size > 1, count > 0 else { return }
        try Self.check("MPI_Bcast", MPI_Bcast(bytes, Int32(count), gantry_mpi_byte(), Int32(root), comm))
    }

    /// Broadcasts a byte array of any length from `root`; other ranks pass anything.
    public func broadcast(_ data: [UInt8], root: Int = 0) throws -> [UInt8] {
        guard size > 1 else { return data }
        var count = [Double(data.count)]
        count = try allreduce(rank == root ? count : [0], op: .sum)
        var result = rank == root ? data : [UInt8](repeating: 0, count: Int(count[0]))
        try result.withUnsafeMutableBytes { try broadcast(bytes: $0.baseAddress!, count: $0.count, root: root) }
        return result
    }

    // MARK: Versions

    /// The MPI library's own version string, e.g. "Open MPI v4.1.4, ...".
    public static var libraryVersion: String {
        var buffer = [CChar](repeating: 0, count: Int(gantry_mpi_max_library_version_string()))
        var length: Int32 = 0
        MPI_Get_library_version(&buffer, &length)
        return String(cString: buffer).split(separator: ",").first.map(String.init) ?? "unknown"
    }

    static func check(_ call: String, _ code: Int32) throws {
        guard code != gantry_mpi_success() else { return }
        var buffer = [CChar](repeating: 0, count: Int(gantry_mpi_max_error_string()))
        var length: Int32 = 0
        MPI_Error_string(code, &buffer, &length)
        throw MPIError(call: call, code: code, message: String(cString: buffer))
    }
}

/// Slots for MPI requests, allocated once (no allocation per step); empty slots hold
/// MPI_REQUEST_NULL, which MPI's test and wait calls skip.
public final class RequestSlots {
    public let count: Int
    let pointer: UnsafeMutablePointer<MPI_Request?>
    /// Where MPI_Testsome writes the indices of the requests it completed.
    let completedIndices: UnsafeMutablePointer<Int32>

    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: gantry_mpi_request_null(), count: max(count, 1))
        completedIndices = .allocate(capacity: max(count, 1))
    }

    deinit {
        pointer.deallocate()
        completedIndices.deallocate()
    }

    /// Whether slot `index` holds no request in flight (never started, or completed).
    public func isDone(_ index: Int) -> Bool { pointer[index] == gantry_mpi_request_null() }
}
