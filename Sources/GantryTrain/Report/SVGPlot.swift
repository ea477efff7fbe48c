import GantryData

/// One chart of values against steps, as inline SVG for an HTML page: axes with round
/// ticks, axis labels, a legend, one line per series, and dashed vertical lines for the
/// markers (resumptions). Long series are downsampled to one bucket per two pixel columns,
/// drawn as their mean with a band from lowest to highest, so the markup stays small at any
/// run length and spikes stay visible.
public struct SVGPlot {
    public var series: [PlotSeries]
    public var yLabel: String
    public var xLabel = "step"
    /// The x axis runs from 0 to this step; every plot of a report shares it, so their
    /// steps line up on the page.
    public var lastStep: Double
    public var markers: [StepMarker] = []
    /// A fixed y range (probabilities: 0...1); otherwise the data's, log when it spans orders of magnitude.
    public var yRange: ClosedRange<Double>?

    public init(series: [PlotSeries], yLabel: String, lastStep: Double, markers: [StepMarker] = [], yRange: ClosedRange<Double>? = nil) {
        self.series = series
        self.yLabel = yLabel
        self.lastStep = lastStep
        self.markers = markers
        self.yRange = yRange
    }

    // The drawing's size in SVG units; the page scales it to its column.
    static let width = 600.0
    static let plotHeight = 220.0
    static let left = 64.0, right = 16.0, bottom = 44.0
    static var plotWidth: Double { width - left - right }
    /// Buckets per series: one per two units of plot width.
    public static var maximumBuckets: Int { Int(plotWidth / 2) }
    /// Series with at most this many buckets also get a dot per point (short runs).
    static let dotsUpTo = 40

    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// The buckets of each series, as drawn.
    public var downsampled: [[SeriesBucket]] {
        series.map { downsample($0.points, over: xScale.domain, buckets: Self.maximumBuckets) }
    }

    var xScale: AxisScale { AxisScale.linear(covering: 0, max(lastStep, 1), tickCount: 7, integer: true) }

    /// The y scale for the drawn buckets.
    func yScale(_ buckets: [[SeriesBucket]]) -> AxisScale {
        if let yRange { return AxisScale.linear(covering: yRange.lowerBound, yRange.upperBound, tickCount: 6) }
        let all = buckets.joined()
        let lowest = all.map(\.lowest).min() ?? 0, highest = all.map(\.highest).max() ?? 1
        return AxisScale.automatic(covering: lowest, highest)
    }

    public func svg() -> String {
        let buckets = downsampled
        let x = xScale, y = yScale(buckets)
        let legend = legendItems()
        let top = 12 + Double(legend.rows) * 18
        let height = top + Self.plotHeight + Self.bottom
        func px(_ value: Double) -> Double { Self.left + clamp(x.fraction(value)) * Self.plotWidth }
        func py(_ value: Double) -> Double { top + (1 - clamp(y.fraction(value))) * Self.plotHeight }
        let right = Self.left + Self.plotWidth, baseline = top + Self.plotHeight

        var svg = "<svg class=\"plot\" viewBox=\"0 0 \(n(Self.width)) \(n(height))\" font-family=\"system-ui, sans-serif\" "
            + "font-size=\"12\" role=\"img\" aria-label=\"\(escapeHTML(yLabel)) against \(xLabel)\">\n"

        // Grid and ticks.
        svg += "<g class=\"axes\" stroke=\"#000\">\n"
        for tick in y.ticks {
            let at = py(tick)
            svg += "<line x1=\"\(n(Self.left))\" x2=\"\(n(right))\" y1=\"\(n(at))\" y2=\"\(n(at))\" stroke=\"#e4e4e4\"/>"
            svg += "<text x=\"\(n(Self.left - 6))\" y=\"\(n(at + 4))\" text-anchor=\"end\" stroke=\"none\">"
                + "\(tickLabel(tick, spacing: y.spacing(at: tick)))</text>\n"
        }
        for tick in x.ticks {
            let at = px(tick)
            svg += "<line x1=\"\(n(at))\" x2=\"\(n(at))\" y1=\"\(n(baseline))\" y2=\"\(n(baseline + 5))\"/>"
            svg += "<text x=\"\(n(at))\" y=\"\(n(baseline + 18))\" text-anchor=\"middle\" stroke=\"none\">"
                + "\(tickLabel(tick, spacing: x.spacing(at: tick)))</text>\n"
        }
        svg += "<path d=\"M\(n(Self.left)) \(n(top))V\(n(baseline))H\(n(right))\" fill=\"none\"/>\n</g>\n"

        // Axis labels.
        let yTitle = y.kind == .logarithmic ? "\(yLabel) (log scale)" : yLabel
        svg += "<text class=\"axis-label\" x=\"\(n(Self.left + Self.plotWidth / 2))\" y=\"\(n(height - 6))\" text-anchor=\"middle\">\(escapeHTML(xLabel))</text>\n"
        svg += "<text class=\"axis-label\" transform=\"translate(14 \(n(top + Self.plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(escapeHTML(yTitle))</text>\n"

        // Resumptions, behind the data.
        for marker in markers where marker.step >= x.domain.lowerBound && marker.step <= x.domain.upperBound {
            let at = px(marker.step)
            svg += "<line class=\"marker\" x1=\"\(n(at))\" x2=\"\(n(at))\" y1=\"\(n(top))\" y2=\"\(n(baseline))\" stroke=\"#777\" "
                + "stroke-width=\"1.2\" stroke-dasharray=\"5 4\"><title>\(escapeHTML(marker.note))</title></line>\n"
        }

        // The series: band from lowest to highest where a bucket holds several points, the mean as a line.
        for (index, line) in buckets.enumerated() where !line.isEmpty {
            let color = Self.colors[index % Self.colors.count]
            let label = escapeHTML(series[index].label)
            svg += "<g class=\"series\"><title>\(label)</title>"
            if line.contains(where: { $0.lowest < $0.highest }) {
                let upper = line.map { "\(n(px($0.x))),\(n(py($0.highest)))" }
                let lower = line.reversed().map { "\(n(px($0.x))),\(n(py($0.lowest)))" }
                svg += "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(color)\" fill-opacity=\"0.22\" stroke=\"none\"/>"
            }
            if line.count > 1 {
                svg += "<polyline points=\"\(line.map { "\(n(px($0.x))),\(n(py($0.mean)))" }.joined(separator: " "))\" "
                    + "fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\" stroke-linejoin=\"round\"/>"
            }
            if line.count <= Self.dotsUpTo {
                for bucket in line {
                    svg += "<circle cx=\"\(n(px(bucket.x)))\" cy=\"\(n(py(bucket.mean)))\" r=\"2.4\" fill=\"\(color)\"/>"
                }
            }
            svg += "</g>\n"
        }

        // The legend, above the plot area.
        svg += "<g class=\"legend\">\n"
        for item in legend.items {
            let midline = 12 + Double(item.row) * 18 - 4
            let dash = item.color == nil ? " stroke-dasharray=\"5 4\"" : ""
            svg += "<line x1=\"\(n(item.x))\" x2=\"\(n(item.x + 18))\" y1=\"\(n(midline))\" y2=\"\(n(midline))\" "
                + "stroke=\"\(item.color ?? "#777")\" stroke-width=\"\(item.color == nil ? "1.2" : "2.5")\"\(dash)/>"
            svg += "<text x=\"\(n(item.x + 24))\" y=\"\(n(midline + 4))\">\(escapeHTML(item.label))</text>\n"
        }
        svg += "</g>\n</svg>"
        return svg
    }

    /// One legend entry per series, then one for the markers; entries wrap onto more rows
    /// when they do not fit beside each other.
    private func legendItems() -> (items: [(label: String, color: String?, x: Double, row: Int)], rows: Int) {
        var entries: [(String, String?)] = series.indices.map { (series[$0].label, Self.colors[$0 % Self.colors.count]) }
        if !markers.isEmpty { entries.append(("resumed", nil)) }
        var items: [(label: String, color: String?, x: Double, row: Int)] = []
        var x = Self.left, row = 0
        for (label, color) in entries {
            // About 7 units per character at font size 12.
            let width = 24 + Double(label.count) * 7 + 18
            if x + width > Self.width - Self.right && x > Self.left {
                row += 1
                x = Self.left
            }
            items.append((label, color, x, row))
            x += width
        }
        return (items, row + 1)
    }
}

private func clamp(_ fraction: Double) -> Double { min(1, max(0, fraction.isFinite ? fraction : 0)) }

/// An SVG coordinate with one decimal: enough for a 600-unit drawing, and short.
private func n(_ value: Double) -> String {
    let text = fixed(value, 1)
    return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
}
