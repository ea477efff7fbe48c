import XCTest
import Foundation
@testable import GantryTrain
import GantryData

/// The main job in small: dcgan28 on glyphs with 2 ranks, then `gantry sample` from its
/// checkpoint, checking everything rank 0 writes.
final class DCGANRunTests: XCTestCase {
    func testShortDCGANRunWritesMetricsSamplesAndCheckpoints() throws {
        let root = try temporaryDirectory("dcgan")
        let run = root + "/run"
        let outcome = try GantryProcess.mpirun(ranks: 2, [
            "train", "--model", "dcgan28", "--data", "glyphs", "--batch", "16", "--steps", "12",
            "--log-every", "4", "--sample-every", "6", "--checkpoint-every", "6", "--out", run])
        XCTAssertEqual(outcome.status, 0, outcome.output)

        // One progress line per log step, from rank 0 only.
        let progress = outcome.stdout.split(separator: "\n").filter { $0.hasPrefix("step ") }
        XCTAssertEqual(progress.count, 3, outcome.stdout)
        XCTAssertTrue(outcome.stderr.isEmpty, outcome.stderr)

        let records = try metrics(in: run)
        XCTAssertEqual(records.map { $0["step"] as? Int }, [4, 8, 12])
        for record in records {
            for key in ["loss_d", "loss_g", "images_per_s"] {
                let value = try XCTUnwrap(record[key] as? Double, key)
                XCTAssertTrue(value.isFinite, "\(key) = \(value)")
            }
            for key in ["d_real", "d_fake"] {
                let value = try XCTUnwrap(record[key] as? Double, key)
                XCTAssertTrue(value > 0 && value < 1, "\(key) = \(value) is not a probability")
            }
            let seconds = try XCTUnwrap(record["seconds"] as? [String: Double])
            XCTAssertEqual(Set(seconds.keys), ["data", "d_compute", "d_communication", "g_compute", "g_communication", "optimizer"])
        }

        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as? [String: Any])
        XCTAssertEqual(config["world_size"] as? Int, 2)
        XCTAssertEqual(config["global_batch"] as? Int, 32)
        let versions = try XCTUnwrap(config["versions"] as? [String: String])
        XCTAssertTrue(versions["mpi"]?.contains("Open MPI") ?? false, "\(versions)")
        XCTAssertTrue(versions["openblas"]?.contains("OpenBLAS") ?? false, "\(versions)")

        // 64 samples of 28×28 in an 8×8 grid with 2-pixel borders.
        for step in ["000006", "000012"] {
            let grid = try PNGImage.read(from: "\(run)/samples/step-\(step).png")
            XCTAssertEqual(grid.channels, 1)
            XCTAssertEqual(grid.width, 8 * 28 + 9 * 2)
            XCTAssertEqual(grid.height, 8 * 28 + 9 * 2)
        }

        let checkpoint = try Checkpoint.load(run + "/checkpoints/step-000012.gckpt")
        XCTAssertEqual(checkpoint.header.step, 12)
        XCTAssertEqual(checkpoint.header.model, "dcgan28")
        XCTAssertEqual(checkpoint.generator.adamStep, 12)

        let picture = root + "/grid.png"
        let sampled = try GantryProcess.direct(["sample", "--checkpoint", run, "--out", picture, "--count", "16"])
        XCTAssertEqual(sampled.status, 0, sampled.output)
        let image = try PNGImage.read(from: picture)
        XCTAssertEqual(image.width, 4 * 28 + 5 * 2)
        try? FileManager.default.removeItem(atPath: root)
    }
}
