import XCTest
import Foundation

/// `gantry bench allreduce` on 2 ranks, briefly, for each kind of Gantry synchronisation:
/// the rows cover the sizes asked for, every figure is a positive measurement, and the bus
/// bandwidth follows from the bytes and the time as documented. Speed is not judged here.
final class BenchAllreduceTests: XCTestCase {
    func testEverySynchronisationIsMeasuredNextToRawMPI() throws {
        for variant in [["--allreduce", "fused"], ["--allreduce", "bucketed"], ["--compress", "fp16"],
                        ["--allreduce", "fused", "--compress", "fp16"]] {
            let outcome = try GantryProcess.mpirun(ranks: 2, ["bench", "allreduce", "--min-bytes", "4096", "--max-bytes", "65536",
                                                              "--seconds", "0.02", "--json"] + variant)
            XCTAssertEqual(outcome.status, 0, outcome.output)
            let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any], outcome.output)
            print("bench allreduce \(variant.joined(separator: " ")): \(outcome.stdout)")
            XCTAssertEqual(report["ranks"] as? Int, 2)
            let description = try XCTUnwrap(report["synchronization"] as? String)
            for value in variant where !value.hasPrefix("--") { XCTAssertTrue(description.contains(value), description) }
            let rows = try XCTUnwrap(report["rows"] as? [[String: Any]])
            XCTAssertEqual(rows.compactMap { $0["bytes"] as? Int }, [4096, 8192, 16384, 32768, 65536])
            for row in rows {
                let bytes = Double(try XCTUnwrap(row["bytes"] as? Int))
                for (time, bandwidth) in [("raw_us", "raw_bus_gbps"), ("gantry_us", "gantry_bus_gbps")] {
                    let microseconds = try XCTUnwrap(row[time] as? Double), bus = try XCTUnwrap(row[bandwidth] as? Double)
                    XCTAssertTrue(microseconds > 0 && microseconds.isFinite, "\(time) in \(row)")
                    // Two ranks: bus bandwidth = bytes / time × 2(p − 1)/p = bytes / time.
                    XCTAssertEqual(bus, bytes / (microseconds * 1e-6) / 1e9, accuracy: bus * 1e-9, "\(bandwidth) in \(row)")
                }
            }
        }
    }

    func testBadSizesAreOneErrorLine() throws {
        let outcome = try GantryProcess.direct(["bench", "allreduce", "--min-bytes", "8192", "--max-bytes", "4096"])
        XCTAssertNotEqual(outcome.status, 0)
        XCTAssertEqual(outcome.errorLines.count, 1, outcome.output)
        XCTAssertTrue(outcome.errorLines.first?.contains("--max-bytes") ?? false, outcome.output)
    }
}
