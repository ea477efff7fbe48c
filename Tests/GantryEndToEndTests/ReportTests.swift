import XCTest
import Foundation
import GantryData
@testable import GantryTrain

/// `gantry report` on a real resumed run, opened by a real browser (headless Chromium), and
/// on a synthetic run of a million steps.
final class ReportTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws { root = try temporaryDirectory("report") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func testReportOfAResumedRunRendersInABrowser() throws {
        let run = root + "/run"
        let first = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "mlp", "--data", "ring8", "--steps", "60",
                                                        "--log-every", "5", "--sample-every", "20", "--out", run])
        XCTAssertEqual(first.status, 0, first.output)
        let resumed = try GantryProcess.mpirun(ranks: 2, ["train", "--out", run, "--steps", "80", "--resume", "auto"])
        XCTAssertEqual(resumed.status, 0, resumed.output)
        let report = try GantryProcess.direct(["report", run])
        XCTAssertEqual(report.status, 0, report.output)
        XCTAssertTrue(report.stdout.contains("wrote \(run)/report.html"), report.output)

        let page = run + "/report.html"
        let html = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssertFalse(html.contains("http://") || html.contains("https://"), "the report must not reach the network")
        XCTAssertFalse(html.contains("<script"), "the report needs no JavaScript")

        // The DOM as Chromium built it: every plot an <svg> with both axis labels, a legend,
        // and the resumption at step 60 marked.
        let dom = try chromium(["--dump-dom", "file://" + page])
        let plots = dom.components(separatedBy: "<svg").dropFirst().map { $0.components(separatedBy: "</svg>")[0] }
        for caption in ["Losses", "D(x) and D(G(z))", "Jensen–Shannon divergence estimate", "Throughput", "Time per iteration, by part"] {
            XCTAssertTrue(dom.contains("<figcaption>\(escapeHTML(caption))</figcaption>"), "no plot \(caption)")
        }
        XCTAssertGreaterThanOrEqual(plots.count, 5)
        for plot in plots {
            XCTAssertEqual(plot.components(separatedBy: "class=\"axis-label\"").count - 1, 2, "axis labels in \(plot.prefix(300))")
            XCTAssertTrue(plot.contains(">step</text>"))
            XCTAssertTrue(plot.contains("class=\"legend\""), "legend in \(plot.prefix(300))")
            XCTAssertTrue(plot.contains("resumed at step 60 on 2 ranks"), "resumption marker in \(plot.prefix(300))")
        }
        // The newest grid and a strip of the four (steps 20, 40, 60, 80).
        XCTAssertEqual(dom.components(separatedBy: "src=\"data:image/png;base64,").count - 1, 5)
        XCTAssertTrue(dom.contains("<figcaption>step 80</figcaption>"))
        XCTAssertTrue(dom.contains("--steps=80"), "the resumption's changed flags")

        // A screenshot that is not blank.
        let screenshot = root + "/report.png"
        _ = try chromium(["--screenshot=" + screenshot, "--window-size=1280,2400", "file://" + page])
        let image = try PNGImage.read(from: screenshot)
        XCTAssertEqual(image.width, 1280)
        let gray = stride(from: 0, to: image.pixels.count, by: image.channels).map { Double(image.pixels[$0]) }
        let mean = gray.reduce(0, +) / Double(gray.count)
        let variance = gray.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(gray.count)
        XCTAssertGreaterThan(variance, 200, "the screenshot looks blank")
    }

    /// The console check catches a page that logs: without this, "no console lines" could pass
    /// because Chromium logged nothing at all.
    func testTheConsoleCheckSeesPageErrors() throws {
        let page = root + "/broken.html"
        try "<html><body><script>console.error('broken'); missingFunction();</script></body></html>"
            .write(toFile: page, atomically: true, encoding: .utf8)
        var lines: [String] = []
        _ = try chromium(["--dump-dom", "file://" + page], consoleLines: &lines)
        XCTAssertTrue(lines.contains { $0.contains("missingFunction") }, lines.joined(separator: "\n"))
    }

    func testAMillionStepsRenderToABoundedPage() throws {
        let run = root + "/long"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        let resumption = Resumption(step: 400_000, worldSize: 4, globalBatch: 64, totalSteps: 1_000_000, checkpoint: "c",
                                    time: "t", changed: ["steps": "1000000"], arguments: ["gantry", "train"])
        let config = RunConfig(options: ["model": .string("dcgan28"), "steps": .integer(400_000)], worldSize: 2, localBatch: 32,
                               globalBatch: 64, totalSteps: 400_000, dataset: DatasetDescription(name: "glyphs", count: 60_000),
                               versions: ["gantry": "0"], host: "h", started: "t", arguments: ["gantry", "train"],
                               resumedFrom: nil, resumes: [resumption])
        try AtomicFile.write(try JSONCoding.encode(config), to: run + "/config.json")
        // 20,000 records, every 50 steps; losses that fall by orders of magnitude, one spike,
        // an evaluation metric only on every tenth record.
        var lines: [String] = []
        for index in 1...20_000 {
            let step = index * 50
            let loss = index == 12_345 ? 90 : 5 / sqrt(Double(index)) + 0.01 * sin(Double(index))
            var line = #"{"step":\#(step),"epoch":\#(step / 1000),"loss_d":\#(loss),"loss_g":\#(2 * loss),"d_real":0.7,"d_fake":0.3,"#
                + #""jsd_estimate":0.2,"images_per_s":\#(1000 + index % 100),"skipped_steps":0,"#
                + #""seconds":{"data":0.001,"d_compute":0.02,"d_communication":0.003,"g_compute":0.02,"g_communication":0.003,"optimizer":0.0005}"#
            if index % 10 == 0 { line += #","fid":\#(100 / Double(index))"# }
            lines.append(line + "}")
        }
        try AtomicFile.write(Array((lines.joined(separator: "\n") + "\n").utf8), to: run + "/metrics.jsonl")

        let report = try GantryProcess.direct(["report", run, "--out", root + "/long.html"])
        XCTAssertEqual(report.status, 0, report.output)
        let html = try String(contentsOfFile: root + "/long.html", encoding: .utf8)
        XCTAssertLessThan(html.utf8.count, 400_000, "the page grows with the plot width, not the run length")
        let plots = html.components(separatedBy: "<svg").dropFirst().map { $0.components(separatedBy: "</svg>")[0] }
        XCTAssertEqual(plots.count, 8)  // losses, D, JSD, throughput, time, epoch, fid, skipped_steps
        for plot in plots {
            let series = plot.components(separatedBy: "class=\"series\"").count - 1
            // Coordinate pairs: per series a band (two per bucket) and a mean line (one per bucket).
            let points = plot.components(separatedBy: ",").count - 2
            XCTAssertLessThanOrEqual(points, series * 3 * SVGPlot.maximumBuckets, "points in \(plot.prefix(200))")
            XCTAssertTrue(plot.contains(">1M</text>"), "steps read 1M")
            XCTAssertTrue(plot.contains("resumed at step 400000 on 4 ranks"))
        }
        XCTAssertTrue(plots[0].contains("(log scale)"), "losses spanning orders of magnitude get a log axis")
        XCTAssertTrue(plots[0].contains(">100</text>"), "the spike of 90 (L_G 180) stays inside the axis")
    }

    func testAMissingOrBrokenRunIsOneErrorLine() throws {
        let missing = try GantryProcess.direct(["report", root + "/nothing"])
        XCTAssertEqual(missing.status, 1, missing.output)
        XCTAssertEqual(missing.errorLines.count, 1, missing.output)
        XCTAssertTrue(missing.stderr.contains("\(root)/nothing is not a run directory"), missing.output)

        try AtomicFile.write(Array("{".utf8), to: root + "/config.json")
        let broken = try GantryProcess.direct(["report", root])
        XCTAssertEqual(broken.status, 1, broken.output)
        XCTAssertEqual(broken.errorLines, ["gantry: error: \(root)/config.json is not a Gantry config.json: not valid JSON"], broken.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/report.html"))
    }

    /// Runs headless Chromium on its own profile (other test runs may have one open) and
    /// returns its stdout; fails the test on any message the page wrote to the console.
    private func chromium(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        var lines: [String] = []
        let output = try chromium(arguments, consoleLines: &lines)
        XCTAssertEqual(lines, [], "console messages from the page", file: file, line: line)
        return output
    }

    private func chromium(_ arguments: [String], consoleLines: inout [String]) throws -> String {
        let profile = try temporaryDirectory("chromium-profile")
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let outcome = try GantryProcess.command(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                                 "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0"] + arguments,
                                                limit: 120)
        XCTAssertEqual(outcome.status, 0, outcome.output)
        // Chromium logs what a page writes to its console as "[…:INFO:CONSOLE:1] "text", source: …";
        // its own GPU and D-Bus warnings are other lines.
        consoleLines = outcome.stderr.split(separator: "\n").map(String.init).filter { $0.contains(":CONSOLE") }
        return outcome.stdout
    }
}
