import GantryData

/// The CPUs this process may run on, so that a benchmark shows whether a rank with
/// `--threads T` was given T cores (mpirun binds a rank to one core by default: see
/// launch/local.sh).
enum CPUAffinity {
    /// The CPU numbers of the process's affinity mask (what sched_getaffinity returns, read
    /// from the kernel's "Cpus_allowed_list" in /proc/self/status: Glibc's Swift module does
    /// not declare sched_getaffinity), ascending; empty if unreadable.
    static func current() -> [Int] {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") })
        else { return [] }
        // "0-3,6": ranges and single CPUs.
        return line.dropFirst("Cpus_allowed_list:".count).split(separator: ",").flatMap { item -> [Int] in
            let bounds = item.split(separator: "-").compactMap { Int($0.trimmingWhitespace()) }
            guard let first = bounds.first, let last = bounds.last, first <= last else { return [] }
            return Array(first...last)
        }
    }

    /// "0-3,6" style.
    static func describe(_ cpus: [Int]) -> String {
        guard !cpus.isEmpty else { return "unknown" }
        var runs: [String] = []
        var start = cpus[0], last = cpus[0]
        for cpu in cpus.dropFirst() + [Int.min] {
            if cpu == last + 1 { last = cpu; continue }
            runs.append(start == last ? "\(start)" : "\(start)-\(last)")
            start = cpu
            last = cpu
        }
        return runs.joined(separator: ",")
    }
}
