/// When a phase that has not ended counts as a stall: after the seconds a flag gives
/// (--stall-warn, --stall-timeout), but never before `typicalStepMultiple` typical steps,
/// so that a model whose steps are merely slow is never taken for a stuck one.
struct StallThreshold: Equatable {
    /// The seconds the flag gives; 0: off.
var seconds: Double

    /// How many typical steps a phase may always take.
static let typicalStepMultiple = 5.0

init(seconds: Double) { self.seconds = seconds }

var isOff: Bool { seconds <= 0 }

    /// The seconds without progress after which this threshold is crossed, given the
    /// median step time; nil when it is off.
func seconds(typicalStep: Double) -> Double? {
        isOff ? nil : max(seconds, Self.typicalStepMultiple * typicalStep)
    }
}

/// The median of the last `capacity` values: a running estimate of a step's seconds that a
/// few slow steps (a checkpoint, a sample grid) do not move. Its storage is allocated once,
/// so adding a value allocates nothing.
struct RecentMedian {
    private var recent: [Double]
    private var sorted: [Double]
    private var count = 0
    private var next = 0

    init(capacity: Int = 15) {
        recent = Array(repeating: 0, count: capacity)
        sorted = recent
    }

    /// 0 before the first value.
    private(set) var median = 0.0

    mutating func add(_ value: Double) {
        recent[next] = value
        next = (next + 1) % recent.count
        count = min(count + 1, recent.count)
        // Insertion sort into the second buffer: a handful of comparisons, no allocation.
        for i in 0..<count {
            var j = i
            while j > 0 && sorted[j - 1] > recent[i] {
                sorted[j] = sorted[j - 1]
                j -= 1
            }
            sorted[j] = recent[i]
        }
        median = count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2
    }
}
