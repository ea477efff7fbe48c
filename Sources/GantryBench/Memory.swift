import Glibc

/// This process's memory as the kernel counts it.
enum Memory {
    /// The peak resident set size so far (getrusage's ru_maxrss, kilobytes on Linux).
    static var peakResidentBytes: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) * 1024
    }
}
