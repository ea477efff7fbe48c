import FoundationEssentials
import GantryData

/// How much memory one rank of this node may take: the smallest of what the kernel has
/// available (MemAvailable), the cgroup's limit (cgroup v2 memory.max) and Slurm's
/// allocation, shared among the ranks on this node; or `GANTRY_MEMORY_LIMIT` (bytes, with
/// K, M or G, powers of 1024), which overrides them all.
public struct MemoryLimit: Equatable {
    /// Bytes one rank may use.
    public let bytesPerRank: Double
    /// Where the limit comes from, for the message that refuses a command.
    public let source: String

    public init(bytesPerRank: Double, source: String) {
        self.bytesPerRank = bytesPerRank
        self.source = source
    }

    /// The limit on this node for a job of `worldSize` ranks. `environment` and `readFile`
    /// are the process's own unless a test brings others.
    public static func current(worldSize: Int,
                               environment: [String: String] = ProcessInfo.processInfo.environment,
                               readFile: (String) -> String? = { try? String(contentsOfFile: $0, encoding: .utf8) }) throws -> MemoryLimit {
        if let given = environment["GANTRY_MEMORY_LIMIT"] {
            guard let bytes = bytes(given), bytes > 0 else {
                throw GantryError.usage("GANTRY_MEMORY_LIMIT=\(given) is not a size in bytes (e.g. 2G, 512M, 1048576)")
            }
            return MemoryLimit(bytesPerRank: bytes, source: "GANTRY_MEMORY_LIMIT")
        }
        var limits: [(bytes: Double, source: String)] = []
        if let meminfo = readFile("/proc/meminfo"), let available = memAvailable(meminfo: meminfo) {
            limits.append((available, "MemAvailable"))
        }
        if let memoryMax = cgroupMemoryMax(readFile: readFile) { limits.append((memoryMax, "cgroup memory.max")) }
        if let slurm = slurmBytes(environment: environment) { limits.append((slurm, "Slurm's allocation")) }
        guard let smallest = limits.min(by: { $0.bytes < $1.bytes }) else {
            return MemoryLimit(bytesPerRank: .infinity, source: "no limit found")
        }
        let ranks = localRanks(environment: environment, worldSize: worldSize)
        return MemoryLimit(bytesPerRank: smallest.bytes / Double(ranks),
                           source: ranks == 1 ? smallest.source : "\(smallest.source) / \(ranks) ranks")
    }

    /// "2G", "512m", "1.5G", "1048576" in bytes (K, M, G, T: powers of 1024); nil for
    /// anything else, "max" included (a cgroup without a limit).
    static func bytes(_ text: String) -> Double? {
        var number = text.trimmingWhitespace().uppercased()
        if number.hasSuffix("B") { number.removeLast() }
        let units: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
        var scale = 1.0
        if let last = number.last, let unit = units[last] {
            scale = unit
            number.removeLast()
        }
        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
        return value * scale
    }

    /// MemAvailable of /proc/meminfo ("MemAvailable:   12345678 kB"), in bytes.
    static func memAvailable(meminfo: String) -> Double? {
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let kilobytes = Double(fields[1]) else { return nil }
            return kilobytes * 1024
        }
        return nil
    }

    /// The cgroup v2 memory.max of this process, nil without a limit ("max") or cgroup v2:
    /// /proc/self/cgroup's "0::/PATH" names the cgroup, under /sys/fs/cgroup (inside a
    /// container whose namespace makes it "/", that is /sys/fs/cgroup/memory.max itself).
    static func cgroupMemoryMax(readFile: (String) -> String?) -> Double? {
        var files = ["/sys/fs/cgroup/memory.max"]
        if let own = readFile("/proc/self/cgroup").flatMap(cgroupPath), own != "/" {
            files.insert("/sys/fs/cgroup\(own)/memory.max", at: 0)
        }
        for file in files {
            if let text = readFile(file) { return bytes(text) }
        }
        return nil
    }

    /// The cgroup v2 path in /proc/self/cgroup ("0::/user.slice/job.scope" → "/user.slice/job.scope").
    static func cgroupPath(_ procSelfCgroup: String) -> String? {
        procSelfCgroup.split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
    }

    /// Slurm's memory for this node: SLURM_MEM_PER_NODE, or SLURM_MEM_PER_CPU times the
    /// CPUs on the node (both in megabytes).
    static func slurmBytes(environment: [String: String]) -> Double? {
        let megabyte = Double(1 << 20)
        if let perNode = environment["SLURM_MEM_PER_NODE"].flatMap(Double.init), perNode > 0 {
            return perNode * megabyte
        }
        guard let perCPU = environment["SLURM_MEM_PER_CPU"].flatMap(Double.init), perCPU > 0 else { return nil }
        // SLURM_CPUS_ON_NODE is a number; SLURM_JOB_CPUS_PER_NODE may read "4(x2)".
        let cpus = environment["SLURM_CPUS_ON_NODE"].flatMap(Double.init)
            ?? environment["SLURM_JOB_CPUS_PER_NODE"].flatMap { Double($0.prefix { $0.isNumber }) } ?? 1
        return perCPU * max(cpus, 1) * megabyte
    }

    /// Ranks sharing this node: Open MPI's local size, Slurm's tasks per node, else all of them.
    static func localRanks(environment: [String: String], worldSize: Int) -> Int {
        for name in ["OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_NTASKS_PER_NODE"] {
            if let ranks = environment[name].flatMap(Int.init), ranks > 0 { return ranks }
        }
        return max(worldSize, 1)
    }
}
