import XCTest
import Foundation
import GantryData

/// `gantry sample`'s outputs: the run's own pictures by default, grids arranged by flags,
/// folders of PNGs, arrays, latent walks, and refusal of endings it does not write.
final class SampleTests: XCTestCase {
    private func sample(_ run: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let outcome = try GantryProcess.direct(["sample", "--checkpoint", run] + arguments)
        XCTAssertEqual(outcome.status, 0, outcome.output, file: file, line: line)
    }

    /// Without --seed and --count, the noise, the count and the batch are the run's: the
    /// picture is the run's last samples/step-N.png, byte for byte (grid and scatter plot).
    func testDefaultSampleRedrawsTheRunsLastPicture() throws {
        for (run, lastStep) in [(try SmallRuns.dcgan28, 3), (try SmallRuns.mlp, 5)] {
            let out = try temporaryDirectory("sample-default") + "/again.png"
            try sample(run, ["--out", out])
            let original = try Data(contentsOf: URL(fileURLWithPath: "\(run)/samples/step-00000\(lastStep).png"))
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), original, "\(run): not the run's last picture")
        }
        // Another seed draws other noise.
        let other = try temporaryDirectory("sample-seed") + "/other.png"
        try sample(try SmallRuns.dcgan28, ["--out", other, "--seed", "12345"])
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: other)),
                          try Data(contentsOf: URL(fileURLWithPath: try SmallRuns.dcgan28 + "/samples/step-000003.png")))
    }

    func testUnknownEndingIsRefusedNamingIt() throws {
        let dir = try temporaryDirectory("sample-jpg")
        for (out, named) in [("x.jpg", "'.jpg'"), ("noending", "no extension")] {
            let outcome = try GantryProcess.direct(["sample", "--checkpoint", try SmallRuns.dcgan28, "--out", dir + "/" + out])
            XCTAssertEqual(outcome.status, 64, outcome.output)
            XCTAssertEqual(outcome.errorLines.count, 1, outcome.output)
            XCTAssertTrue(outcome.errorLines.first?.contains(named) ?? false, outcome.output)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    /// --rows, --padding and --scale: 10 images of 28×28 in 2 rows of 5, 1 pixel apart, tripled.
    func testGridLayoutFollowsRowsPaddingAndScale() throws {
        let out = try temporaryDirectory("sample-grid") + "/grid.png"
        try sample(try SmallRuns.dcgan28, ["--out", out, "--count", "10", "--rows", "2", "--padding", "1", "--scale", "3"])
        let image = try PNGImage.read(from: out)
        XCTAssertEqual(image.width, (5 * (28 + 1) + 1) * 3)
        XCTAssertEqual(image.height, (2 * (28 + 1) + 1) * 3)
    }

    func testFolderHoldsOnePNGPerSample() throws {
        let dir = try temporaryDirectory("sample-folder") + "/pictures/"
        try sample(try SmallRuns.dcgan28, ["--out", dir, "--count", "5", "--scale", "2"])
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(names, (0..<5).map { "sample-00000\($0).png" })
        for name in names {
            let image = try PNGImage.read(from: dir + name)
            XCTAssertEqual([image.width, image.height, image.channels], [56, 56, 1], name)
        }
        // 2-D samples are points: a folder of pictures of one point each is refused.
        let outcome = try GantryProcess.direct(["sample", "--checkpoint", try SmallRuns.mlp, "--out", dir + "points/"])
        XCTAssertEqual(outcome.errorLines.count, 1, outcome.output)
        XCTAssertNotEqual(outcome.status, 0)
    }

    /// 3 walks of 4 steps: a grid of 3 rows of 5; as arrays, each walk starts and ends at
    /// the noise vectors the plain samples use (2w and 2w + 1), spherically or on a line.
    func testInterpolationDrawsOneRowPerWalk() throws {
        let run = try SmallRuns.dcgan28, dir = try temporaryDirectory("sample-walk")
        try sample(run, ["--out", dir + "/walks.png", "--interpolate", "4", "--count", "3"])
        let image = try PNGImage.read(from: dir + "/walks.png")
        XCTAssertEqual(image.width, 5 * (28 + 2) + 2)
        XCTAssertEqual(image.height, 3 * (28 + 2) + 2)

        try sample(run, ["--out", dir + "/plain.npz", "--count", "6"])
        try sample(run, ["--out", dir + "/spherical.npz", "--interpolate", "4", "--count", "3"])
        try sample(run, ["--out", dir + "/linear.npz", "--interpolate", "4", "--count", "3", "--walk", "linear"])
        let result = try PythonCheck.run("""
            import json, sys
            import numpy as np
            plain, spherical, linear = (np.load(path) for path in sys.argv[1:])
            z = plain["noise"]
            def ends(walk): return all(np.array_equal(walk["noise"][5 * w], z[2 * w]) and np.array_equal(walk["noise"][5 * w + 4], z[2 * w + 1]) for w in range(3))
            mid_s, mid_l = spherical["noise"][2], linear["noise"][2]
            angle = np.arccos(np.dot(z[0], z[1]) / np.linalg.norm(z[0]) / np.linalg.norm(z[1]))
            slerp = (z[0] + z[1]) * np.sin(angle / 2) / np.sin(angle)
            print(json.dumps(dict(shape=list(spherical["samples"].shape), noise_shape=list(spherical["noise"].shape),
                                  ends=ends(spherical) and ends(linear),
                                  linear_error=float(np.abs(mid_l - (z[0] + z[1]) / 2).max()),
                                  spherical_error=float(np.abs(mid_s - slerp).max()))))
            """, [dir + "/plain.npz", dir + "/spherical.npz", dir + "/linear.npz"])
        XCTAssertEqual(result["shape"] as? [Int], [15, 1, 28, 28])
        XCTAssertEqual(result["noise_shape"] as? [Int], [15, 100])
        XCTAssertEqual(result["ends"] as? Bool, true)
        XCTAssertLessThan(try XCTUnwrap(result["linear_error"] as? Double), 1e-5)
        XCTAssertLessThan(try XCTUnwrap(result["spherical_error"] as? Double), 1e-4)
    }
}
