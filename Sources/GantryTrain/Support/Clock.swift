import Glibc

/// A monotonic stopwatch: `lap()` returns the seconds since the previous lap.
public struct Clock {
    /// When the current lap began.
    public private(set) var last = Clock.now()

    public init() {}

    public static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    public mutating func lap() -> Double {
        let now = Clock.now()
        defer { last = now }
        return now - last
    }
}
