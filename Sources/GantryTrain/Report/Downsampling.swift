/// A stretch of a long series drawn in one pixel column: the mean of its points and their
/// extremes. Drawing the band between lowest and highest keeps a one-step spike visible at
/// 1,000,000 steps, where the mean alone would smooth it away.
public struct SeriesBucket: Equatable {
    /// The mean x of the points in the bucket.
    public var x: Double
    public var lowest: Double
    public var highest: Double
    public var mean: Double
    public var count: Int
}

/// `points` (ascending x) reduced to at most `buckets` buckets of equal width over `domain`;
/// empty buckets are left out. A series that already fits keeps one bucket per point, so
/// short runs draw exactly what they logged.
public func downsample(_ points: [PlotPoint], over domain: ClosedRange<Double>, buckets: Int) -> [SeriesBucket] {
    precondition(buckets > 0, "downsample needs at least one bucket")
    if points.count <= buckets {
        return points.map { SeriesBucket(x: $0.x, lowest: $0.y, highest: $0.y, mean: $0.y, count: 1) }
    }
    let width = domain.upperBound - domain.lowerBound
    func index(_ x: Double) -> Int {
        guard width > 0 else { return 0 }
        return min(buckets - 1, max(0, Int((x - domain.lowerBound) / width * Double(buckets))))
    }
    var result: [SeriesBucket] = []
    var open: OpenBucket?
    for point in points {
        let bucket = index(point.x)
        if let current = open, current.index != bucket {
            result.append(current.finished)
            open = nil
        }
        if open == nil { open = OpenBucket(index: bucket, first: point) } else { open!.add(point) }
    }
    if let open { result.append(open.finished) }
    return result
}

/// The bucket `downsample` is filling: running sums and extremes.
private struct OpenBucket {
    let index: Int
    var sumX: Double, sumY: Double, lowest: Double, highest: Double, count = 1

    init(index: Int, first: PlotPoint) {
        self.index = index
        (sumX, sumY, lowest, highest) = (first.x, first.y, first.y, first.y)
    }

    mutating func add(_ point: PlotPoint) {
        sumX += point.x
        sumY += point.y
        lowest = min(lowest, point.y)
        highest = max(highest, point.y)
        count += 1
    }

    var finished: SeriesBucket {
        SeriesBucket(x: sumX / Double(count), lowest: lowest, highest: highest, mean: sumY / Double(count), count: count)
    }
}
