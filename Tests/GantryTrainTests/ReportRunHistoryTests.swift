import XCTest
@testable import GantryTrain

/// `gantry report` reads run directories of every age: records with fewer or more fields
/// than today's, and gives one line naming the file when one is missing or malformed.
final class ReportRunHistoryTests: XCTestCase {
    var run = ""

    override func setUpWithError() throws {
        run = try temporaryDirectory("report-history")
        let config = RunConfig(options: ["model": .string("mlp"), "steps": .integer(20)], worldSize: 2, localBatch: 32,
                               globalBatch: 64, totalSteps: 20, dataset: DatasetDescription(name: "ring8", count: 100),
                               versions: ["gantry": "0"], host: "h", started: "t", arguments: ["gantry", "train"],
                               resumedFrom: nil, resumes: [])
        try AtomicFile.write(try JSONCoding.encode(config), to: run + "/config.json")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: run) }

    private func writeMetrics(_ lines: [String]) throws {
        try AtomicFile.write(Array((lines.joined(separator: "\n") + "\n").utf8), to: run + "/metrics.jsonl")
    }

    func testRecordsWithMissingAndExtraFieldsRead() throws {
        try writeMetrics([
            // An old record: no jsd_estimate, no seconds.
            #"{"step":10,"loss_d":1.2,"loss_g":0.8}"#,
            // A newer one: a clock time, a nested part the report does not know, a boolean, a string.
            #"{"step":20,"loss_d":1.1,"loss_g":0.9,"jsd_estimate":0.1,"wall_time":1790000000.5,"elapsed_s":3.5,"#
                + #""seconds":{"data":0.001,"prefetch":0.002},"fid":12.5,"converged":true,"note":"x"}"#,
        ])
        let history = try RunHistory(directory: run)
        XCTAssertEqual(history.recordCount, 2)
        XCTAssertEqual(history.fields["loss_d"], [PlotPoint(x: 10, y: 1.2), PlotPoint(x: 20, y: 1.1)])
        XCTAssertEqual(history.fields["jsd_estimate"], [PlotPoint(x: 20, y: 0.1)])
        XCTAssertEqual(history.fields["seconds.prefetch"], [PlotPoint(x: 20, y: 0.002)])
        XCTAssertNil(history.fields["wall_time"], "a clock reading is not plotted")
        XCTAssertNil(history.fields["converged"], "booleans are not plotted")
        XCTAssertNil(history.fields["note"])
        XCTAssertNil(history.fields["step"])
        XCTAssertEqual(history.lastStep, 20)

        // Unknown fields get plots of their own; unknown parts of the iteration join the time plot.
        let charts = ReportChart.charts(for: history.fieldNames)
        XCTAssertEqual(charts.map(\.title), ["Losses", "Jensen–Shannon divergence estimate", "Time per iteration, by part", "elapsed_s", "fid"])
        XCTAssertEqual(charts[2].lines.map(\.key), ["seconds.data", "seconds.prefetch"])

        let html = try ReportPage.html(for: history)
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 5)
        XCTAssertFalse(html.contains("http://") || html.contains("https://"))
    }

    func testAnEmptyLogGivesAPageWithoutPlots() throws {
        try writeMetrics([])
        let html = try ReportPage.html(for: try RunHistory(directory: run))
        XCTAssertTrue(html.contains("no records yet"))
        XCTAssertFalse(html.contains("<svg"))
    }

    func testAMalformedLineIsNamed() throws {
        try writeMetrics([#"{"step":10,"loss_d":1.2}"#, #"{"step":20,"loss_d":"#])
        assertError(contains: ["metrics.jsonl line 2", "not a JSON object"])
        try writeMetrics([#"{"loss_d":1.2}"#])
        assertError(contains: ["metrics.jsonl line 1", "step"])
    }

    func testMissingFilesAreNamed() throws {
        assertError(contains: ["metrics.jsonl"])
        try writeMetrics([])
        try AtomicFile.write(Array(#"{"world_size": 2}"#.utf8), to: run + "/config.json")
        assertError(contains: ["config.json", "missing"])
        unlink(run + "/config.json")
        assertError(contains: ["config.json"])
        XCTAssertThrowsError(try RunHistory(directory: run + "/nothing")) { error in
            XCTAssertTrue("\(error)".contains("nothing is not a run directory"), "\(error)")
        }
    }

    private func assertError(contains parts: [String], line: UInt = #line) {
        XCTAssertThrowsError(try RunHistory(directory: run), line: line) { error in
            XCTAssertTrue(error is GantryError, "\(error)", line: line)
            for part in parts { XCTAssertTrue("\(error)".contains(part), "\(error)", line: line) }
            XCTAssertFalse("\(error)".contains("\n"), "one line: \(error)", line: line)
        }
    }
}
