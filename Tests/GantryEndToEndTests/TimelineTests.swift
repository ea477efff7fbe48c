import XCTest
import Foundation

/// `gantry train --timeline FILE`: one trace-event file for all ranks, whose spans nest per
/// rank and lane, with every allreduce inside the step it belongs to.
final class TimelineTests: XCTestCase {
    func testTimelineIsATraceWithNestedSpansPerRank() throws {
        let root = try temporaryDirectory("timeline")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let trace = root + "/trace.json"
        let outcome = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "dcgan28", "--batch", "8", "--steps", "4",
                                                          "--allreduce", "bucketed", "--bucket-mb", "0.5", "--log-every", "2",
                                                          "--out", root + "/run", "--timeline", trace])
        XCTAssertEqual(outcome.status, 0, outcome.output)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root).sorted(), ["run", "trace.json"],
                       "the per-rank parts were merged and removed")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trace))) as? [String: Any])
        let events = try XCTUnwrap(object["traceEvents"] as? [[String: Any]])

        struct Span { let name: String, category: String, rank: Int, lane: Int, step: Int, start: Double, end: Double }
        var spans: [Span] = []
        for event in events where event["ph"] as? String == "X" {
            let name = try XCTUnwrap(event["name"] as? String), category = try XCTUnwrap(event["cat"] as? String)
            let start = try XCTUnwrap(event["ts"] as? Double), duration = try XCTUnwrap(event["dur"] as? Double)
            let step = try XCTUnwrap((event["args"] as? [String: Any])?["step"] as? Int)
            XCTAssertGreaterThanOrEqual(duration, 0, name)
            spans.append(Span(name: name, category: category, rank: try XCTUnwrap(event["pid"] as? Int),
                              lane: try XCTUnwrap(event["tid"] as? Int), step: step, start: start, end: start + duration))
        }
        XCTAssertEqual(Set(events.filter { $0["ph"] as? String == "M" }.compactMap { $0["pid"] as? Int }), [0, 1])
        for rank in 0..<2 {
            let mine = spans.filter { $0.rank == rank }
            let steps = mine.filter { $0.name == "step" }
            XCTAssertEqual(steps.map(\.step), [1, 2, 3, 4], "rank \(rank): one step span per iteration")
            for part in ["G forward", "D forward+backward", "D allreduce", "G backward", "G allreduce", "optimizer", "checkpoint"] {
                XCTAssertTrue(mine.contains { $0.name == part }, "rank \(rank) has no '\(part)' span")
            }
            XCTAssertTrue(mine.contains { $0.name.hasPrefix("G allreduce bucket") && $0.lane > 0 }, "rank \(rank): no bucket spans")
            // Within a lane, two spans are disjoint or one holds the other (1 µs for the rounding of times and durations).
            for lane in Set(mine.map(\.lane)) {
                let ordered = mine.filter { $0.lane == lane }.sorted { ($0.start, -$0.end) < ($1.start, -$1.end) }
                var open: [Span] = []
                for span in ordered {
                    while let last = open.last, last.end <= span.start + 1 { open.removeLast() }
                    if let parent = open.last {
                        XCTAssertLessThanOrEqual(span.end, parent.end + 1, "rank \(rank) lane \(lane): '\(span.name)' overlaps '\(parent.name)'")
                    }
                    open.append(span)
                }
            }
            // Every span, the allreduces included, lies inside the step it belongs to.
            for span in mine where span.name != "step" {
                let step = try XCTUnwrap(steps.first { $0.step == span.step }, "\(span.name): no step \(span.step)")
                XCTAssertTrue(span.start >= step.start - 1 && span.end <= step.end + 1,
                              "rank \(rank): '\(span.name)' of step \(span.step) is outside it")
            }
        }
    }
}
