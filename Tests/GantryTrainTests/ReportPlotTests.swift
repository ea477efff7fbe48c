import XCTest
@testable import GantryTrain

/// The pure parts of `gantry report`'s plots: ticks, scales, downsampling, the SVG's size.
final class ReportPlotTests: XCTestCase {
    func testLinearTicksAreRoundAndCoverTheData() {
        let scale = AxisScale.linear(covering: 0.13, 0.87)
        XCTAssertEqual(scale.kind, .linear)
        assertTicks(scale.ticks, [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertLessThanOrEqual(scale.domain.lowerBound, 0.13)
        XCTAssertGreaterThanOrEqual(scale.domain.upperBound, 0.87)

        assertTicks(AxisScale.linear(covering: -0.012, 0.19).ticks, [-0.05, 0, 0.05, 0.1, 0.15, 0.2])
        assertTicks(AxisScale.linear(covering: 1234, 9876, tickCount: 5).ticks, [0, 2000, 4000, 6000, 8000, 10000])
    }

    func testStepAxisTicksAreWholeNumbersAndReadAsKAndM() {
        let million = AxisScale.linear(covering: 0, 1_000_000, tickCount: 7, integer: true)
        XCTAssertEqual(million.ticks.map { tickLabel($0, spacing: million.spacing(at: $0)) }, ["0", "200k", "400k", "600k", "800k", "1M"])
        let ten = AxisScale.linear(covering: 0, 10, tickCount: 7, integer: true)
        XCTAssertEqual(ten.ticks.map { tickLabel($0, spacing: ten.spacing(at: $0)) }, ["0", "2", "4", "6", "8", "10"])
        // Three steps would want ticks every half step; a step axis keeps whole numbers.
        XCTAssertEqual(AxisScale.linear(covering: 0, 3, tickCount: 7, integer: true).ticks, [0, 1, 2, 3])
        let fifteenThousand = AxisScale.linear(covering: 0, 15_000, tickCount: 7, integer: true)
        XCTAssertEqual(fifteenThousand.ticks.map { tickLabel($0, spacing: fifteenThousand.spacing(at: $0)) }, 
                       ["0", "2k", "4k", "6k", "8k", "10k", "12k", "14k", "16k"])
        XCTAssertEqual(tickLabel(2500, spacing: 500), "2.5k")
    }

    func testTickLabels() {
        XCTAssertEqual(tickLabel(2500, spacing: 500), "2.5k")
        XCTAssertEqual(tickLabel(10_000, spacing: 10_000), "10k")
        XCTAssertEqual(tickLabel(1_000_000, spacing: 200_000), "1M")
        XCTAssertEqual(tickLabel(1_500_000, spacing: 500_000), "1.5M")
        XCTAssertEqual(tickLabel(0.05, spacing: 0.05), "0.05")
        XCTAssertEqual(tickLabel(1, spacing: 0.2), "1")
        XCTAssertEqual(tickLabel(-0.05, spacing: 0.05), "-0.05")
        XCTAssertEqual(tickLabel(0.001, spacing: 0.001), "0.001")
        XCTAssertEqual(tickLabel(1e-5, spacing: 1e-5), "1e-5")
        XCTAssertEqual(tickLabel(0, spacing: 0.1), "0")
    }

    func testLogScaleOnlyForPositiveDataSpanningOrdersOfMagnitude() {
        let wide = AxisScale.automatic(covering: 0.0012, 4.5)
        XCTAssertEqual(wide.kind, .logarithmic)
        assertTicks(wide.ticks, [0.001, 0.01, 0.1, 1, 10])
        XCTAssertEqual(wide.fraction(0.001), 0, accuracy: 1e-12)
        XCTAssertEqual(wide.fraction(0.1), 0.5, accuracy: 1e-12)

        XCTAssertEqual(AxisScale.automatic(covering: 0, 1000).kind, .linear, "zero has no logarithm")
        XCTAssertEqual(AxisScale.automatic(covering: -0.1, 100).kind, .linear, "negative values have no logarithm")
        XCTAssertEqual(AxisScale.automatic(covering: 0.5, 3).kind, .linear, "less than two orders of magnitude")

        // Eighteen decades: a handful of ticks, every one a power of ten, covering the data.
        let huge = AxisScale.logarithmic(covering: 3e-9, 2e9)
        XCTAssertLessThanOrEqual(huge.ticks.count, 8)
        XCTAssertLessThanOrEqual(huge.domain.lowerBound, 3e-9)
        XCTAssertGreaterThanOrEqual(huge.domain.upperBound, 2e9)
        for tick in huge.ticks { XCTAssertEqual(log10(tick), log10(tick).rounded(), accuracy: 1e-9) }
    }

    func testAFlatSeriesGetsARangeOfItsOwn() {
        XCTAssertEqual(AxisScale.linear(covering: 0, 0).domain, 0...1)
        let flat = AxisScale.linear(covering: 5, 5)
        XCTAssertTrue(flat.domain.lowerBound < 5 && flat.domain.upperBound > 5)
    }

    func testDownsamplingKeepsEachBucketsExtremesAndBoundsThePoints() {
        // A million steps of a slow wave, with one spike and one dip.
        var points = (1...1_000_000).map { PlotPoint(x: Double($0), y: sin(Double($0) / 50_000)) }
        points[123_456].y = 40
        points[765_432].y = -30
        let domain = 0.0...1_000_000
        let buckets = downsample(points, over: domain, buckets: 270)
        XCTAssertLessThanOrEqual(buckets.count, 270)
        XCTAssertEqual(buckets.map(\.count).reduce(0, +), points.count, "every point lands in one bucket")

        // Each bucket's extremes are those of the points in its x range.
        var offset = 0
        for bucket in buckets {
            let members = points[offset..<offset + bucket.count]
            offset += bucket.count
            XCTAssertEqual(bucket.lowest, members.map(\.y).min())
            XCTAssertEqual(bucket.highest, members.map(\.y).max())
            XCTAssertEqual(bucket.mean, members.map(\.y).reduce(0, +) / Double(members.count), accuracy: 1e-9)
        }
        XCTAssertEqual(buckets.map(\.highest).max(), 40, "the spike stays visible")
        XCTAssertEqual(buckets.map(\.lowest).min(), -30, "the dip stays visible")
    }

    func testAShortSeriesIsDrawnAsLogged() {
        let points = (1...12).map { PlotPoint(x: Double($0 * 5), y: Double($0)) }
        let buckets = downsample(points, over: 0...60, buckets: 270)
        XCTAssertEqual(buckets.map(\.mean), points.map(\.y))
        XCTAssertEqual(buckets.map(\.x), points.map(\.x))
    }

    func testAPlotOfAMillionStepsStaysSmall() {
        let points = (1...200_000).map { PlotPoint(x: Double($0 * 5), y: 1 + Double($0 % 97) / 100) }
        let plot = SVGPlot(series: [PlotSeries(label: "a", points: points), PlotSeries(label: "b", points: points)],
                           yLabel: "loss", lastStep: 1_000_000, markers: [StepMarker(step: 500_000, note: "resumed")])
        let svg = plot.svg()
        for line in plot.downsampled { XCTAssertLessThanOrEqual(line.count, SVGPlot.maximumBuckets) }
        // Per series: a band (two points per bucket) and a mean line (one).
        let coordinates = svg.components(separatedBy: ",").count - 1
        XCTAssertLessThanOrEqual(coordinates, 2 * 3 * SVGPlot.maximumBuckets + 10)
        XCTAssertLessThan(svg.utf8.count, 60_000)
        XCTAssertTrue(svg.contains("class=\"axis-label\""))
        XCTAssertTrue(svg.contains("class=\"legend\""))
        XCTAssertTrue(svg.contains(">1M<"), "the step axis ends at 1M")
        XCTAssertTrue(svg.contains("class=\"marker\""))
    }

    func testThinningKeepsTheFirstAndTheNewest() {
        let thin = thinned(Array(1...100), toAtMost: 12)
        XCTAssertEqual(thin.count, 12)
        XCTAssertEqual(thin.first, 1)
        XCTAssertEqual(thin.last, 100)
        XCTAssertEqual(thin, thin.sorted())
        XCTAssertEqual(thinned([1, 2, 3], toAtMost: 12), [1, 2, 3])
    }

    private func assertTicks(_ ticks: [Double], _ expected: [Double], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(ticks.count, expected.count, "\(ticks)", file: file, line: line)
        for (tick, value) in zip(ticks, expected) { XCTAssertEqual(tick, value, accuracy: 1e-9, "\(ticks)", file: file, line: line) }
    }
}
