import Glibc
import GantryData

/// `gantry train --timeline FILE`: where each rank's time goes, step by step, in the Chrome
/// trace-event format that Perfetto (ui.perfetto.dev) and chrome://tracing open, as
/// Horovod's timeline does.
///
/// Each rank buffers its spans in arrays allocated once (recording a span allocates nothing),
/// and appends them as trace events to its own part file, `FILE.rank-N`, whenever the
/// buffer fills and at the end. After the last step rank 0 merges the parts into FILE and
/// removes them; a run that fails leaves the parts, each a valid list of events.
///
/// Lanes (`tid`): 0 holds the step and the computation inside it, properly nested; the
/// allreduces run concurrently with backward, so each bucket gets a lane of its own, 1 + its
/// index (D's buckets complete before G's start, so the two networks share the lanes).
/// Times are microseconds since the ranks passed a barrier together at the start.
public final class Timeline {
    /// What a span measures.
    public enum Phase: UInt8, CaseIterable {
        case step, data, generatorForward, discriminatorForwardBackward, discriminatorAllreduce,
             discriminatorInputGradient, generatorBackward, generatorAllreduce, optimizer,
             agreement, metrics, samples, checkpoint, replicaCheck, evaluation

        var name: String {
            switch self {
            case .step: return "step"
            case .data: return "data"
            case .generatorForward: return "G forward"
            case .discriminatorForwardBackward: return "D forward+backward"
            case .discriminatorAllreduce: return "D allreduce"
            case .discriminatorInputGradient: return "D forward+input gradient"
            case .generatorBackward: return "G backward"
            case .generatorAllreduce: return "G allreduce"
            case .optimizer: return "optimizer"
            case .agreement: return "agreement"
            case .metrics: return "metrics"
            case .samples: return "samples"
            case .checkpoint: return "checkpoint"
            case .replicaCheck: return "replica check"
            case .evaluation: return "evaluation"
            }
        }

        var category: String {
            switch self {
            case .discriminatorAllreduce, .generatorAllreduce, .agreement, .replicaCheck: return "communication"
            case .metrics, .samples, .checkpoint, .evaluation: return "output"
            default: return "compute"
            }
        }
    }

    public let path: String
    public let rank: Int
    private let partPath: String
    /// The clock reading that is time zero.
    private let origin: Double
    private let capacity: Int
    private var count = 0
    // One array per field, allocated once.
    private let phases: UnsafeMutablePointer<UInt8>
    private let lanes: UnsafeMutablePointer<Int32>
    private let steps: UnsafeMutablePointer<Int32>
    private let starts: UnsafeMutablePointer<Double>
    private let ends: UnsafeMutablePointer<Double>

    /// Starts an empty part file for `rank` beside `path`. `origin`: the common time zero.
    public init(path: String, rank: Int, origin: Double, capacity: Int = 1 << 16) throws {
        self.path = path
        self.rank = rank
        self.origin = origin
        self.capacity = capacity
        partPath = Self.partPath(path, rank: rank)
        phases = .allocate(capacity: capacity)
        lanes = .allocate(capacity: capacity)
        steps = .allocate(capacity: capacity)
        starts = .allocate(capacity: capacity)
        ends = .allocate(capacity: capacity)
        let header = #"{"name":"process_name","ph":"M","pid":\#(rank),"args":{"name":"rank \#(rank)"}}"#
        try AtomicFile.write(Array(header.utf8), to: partPath)
    }

    deinit {
        phases.deallocate()
        lanes.deallocate()
        steps.deallocate()
        starts.deallocate()
        ends.deallocate()
    }

    /// Records a span of `phase` from `start` to `end` (Clock readings) in `lane`, for
    /// iteration `step`. Writes the buffer out first when it is full.
    public func record(_ phase: Phase, step: Int, start: Double, end: Double, lane: Int = 0) throws {
        if count == capacity { try flush() }
        phases[count] = phase.rawValue
        lanes[count] = Int32(lane)
        steps[count] = Int32(truncatingIfNeeded: step)
        starts[count] = start
        ends[count] = end
        count += 1
    }

    /// Appends the buffered spans to this rank's part file.
    public func flush() throws {
        guard count > 0 else { return }
        var text = ""
        for i in 0..<count {
            let phase = Phase(rawValue: phases[i])!
            let start = (starts[i] - origin) * 1e6, duration = max(0, (ends[i] - starts[i]) * 1e6)
            let name = lanes[i] > 0 ? "\(phase.name) bucket \(lanes[i] - 1)" : phase.name
            text += ",\n" + #"{"name":"\#(name)","cat":"\#(phase.category)","ph":"X","pid":\#(rank),"tid":\#(lanes[i]),"#
                + #""ts":\#(fixed(start, 1)),"dur":\#(fixed(duration, 1)),"args":{"step":\#(steps[i])}}"#
        }
        let fd = open(partPath, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw systemError("cannot open \(partPath)") }
        defer { close(fd) }
        try appendWhole(fd, Array(text.utf8), path: partPath)
        count = 0
    }

    /// Rank 0, after every rank flushed: the parts of `ranks` ranks merged into one trace
    /// file (written atomically), and the parts removed.
    public static func merge(path: String, ranks: Int) throws {
        var events: [UInt8] = Array(#"{"displayTimeUnit":"ms","traceEvents":["#.utf8) + [10]
        for rank in 0..<ranks {
            if rank > 0 { events += Array(",\n".utf8) }
            events += try AtomicFile.read(partPath(path, rank: rank))
        }
        events += Array("\n]}\n".utf8)
        try AtomicFile.write(events, to: path)
        for rank in 0..<ranks { unlink(partPath(path, rank: rank)) }
    }

    static func partPath(_ path: String, rank: Int) -> String { "\(path).rank-\(rank)" }
}
