import XCTest
import Foundation
@testable import GantryTrain
import GantryData

/// TensorBoard itself (the tensorboard package's EventAccumulator, in the test tools'
/// Python) reads a run directory and finds what metrics.jsonl, samples/ and config.json hold,
/// across a resume from an earlier checkpoint than the run had reached.
final class TensorBoardTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws { root = try temporaryDirectory("tensorboard") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    /// Prints, as JSON, what TensorBoard loads from the run directory argv[1]: every scalar,
    /// image and text tensor with its step, in TensorBoard's order; and the steps of each tag
    /// as the server's dashboards load them (plugin_event_accumulator, whose restart logic
    /// differs in its details).
    static let reader = """
        import base64, json, sys
        from tensorboard.backend.event_processing import event_accumulator as ea
        from tensorboard.backend.event_processing import plugin_event_accumulator as pea
        run = ea.EventAccumulator(sys.argv[1], size_guidance={kind: 0 for kind in ea.DEFAULT_SIZE_GUIDANCE})
        run.Reload()
        server = pea.EventAccumulator(sys.argv[1], size_guidance={pea.TENSORS: 0})
        server.Reload()
        tags = run.Tags()
        print(json.dumps({
            "scalars": {t: [[e.step, e.value] for e in run.Scalars(t)] for t in tags[ea.SCALARS]},
            "images": {t: [[e.step, e.width, e.height, base64.b64encode(e.encoded_image_string).decode()]
                           for e in run.Images(t)] for t in tags[ea.IMAGES]},
            "texts": {t: [[e.step, base64.b64encode(e.tensor_proto.string_val[0]).decode()] for e in run.Tensors(t)]
                      for t in tags[ea.TENSORS]},
            "plugins": {t: run.SummaryMetadata(t).plugin_data.plugin_name for t in tags[ea.TENSORS]},
            "server_steps": {t: [e.step for e in server.Tensors(t)] for t in server.Tags()[pea.TENSORS]},
        }))
        """

    func testTensorBoardReadsTheRunAcrossAResume() throws {
        let python = try XCTUnwrap(ProcessInfo.processInfo.environment["GANTRY_TEST_PYTHON"],
                                   "GANTRY_TEST_PYTHON is unset: run the end-to-end tests through launch/test.sh, which makes the Python environment with tensorboard")
        let run = root + "/run"
        let first = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "mlp", "--data", "ring8", "--steps", "40", "--log-every", "5",
                                                        "--sample-every", "20", "--checkpoint-every", "20", "--out", run])
        XCTAssertEqual(first.status, 0, first.output)
        // As if the job died after logging step 40 but before its checkpoint: the resume
        // starts from step 20, and TensorBoard must forget steps 21–40 of the first start.
        try FileManager.default.removeItem(atPath: run + "/checkpoints/step-000040.gckpt")
        let resumed = try GantryProcess.mpirun(ranks: 2, ["train", "--out", run, "--resume", "auto", "--steps", "60"])
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertTrue(resumed.stdout.contains("resuming at step 20"), resumed.stdout)
        let eventFiles = try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.hasPrefix("events.out.tfevents.") }
        XCTAssertEqual(eventFiles.count, 2, "one event file per start: \(eventFiles)")

        let reading = try GantryProcess.command([python, "-c", Self.reader, run], limit: 120)
        XCTAssertEqual(reading.status, 0, reading.output)
        let loaded = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(reading.stdout.utf8)) as? [String: Any], reading.output)

        // Scalars: every metrics line once, the resumed start's values where it retrained.
        let lines = try metrics(in: run)
        let steps = lines.compactMap { $0["step"] as? Int }
        XCTAssertEqual(steps, Array(stride(from: 5, through: 60, by: 5)))
        let parts = try XCTUnwrap(lines.first?["seconds"] as? [String: Double]).keys
        let tags = ["loss_d", "loss_g", "d_real", "d_fake", "jsd_estimate", "images_per_s"] + parts.map { "seconds/\($0)" }
        func value(of tag: String, in line: [String: Any]) -> Double? {
            tag.hasPrefix("seconds/") ? (line["seconds"] as? [String: Double])?[String(tag.dropFirst("seconds/".count))]
                                      : line[tag] as? Double
        }
        let scalars = try XCTUnwrap(loaded["scalars"] as? [String: [[Double]]])
        XCTAssertEqual(Set(scalars.keys), Set(tags))
        for tag in tags {
            let events = scalars[tag] ?? []
            guard events.map({ Int($0[0]) }) == steps else {
                XCTFail("steps of \(tag): TensorBoard has \(events.map { Int($0[0]) }), metrics.jsonl \(steps)")
                continue
            }
            for (event, line) in zip(events, lines) {
                let written = Float(try XCTUnwrap(value(of: tag, in: line), "\(tag) in metrics.jsonl"))
                XCTAssertEqual(Float(event[1]), written, accuracy: written.ulp, "\(tag) at step \(Int(event[0]))")
            }
        }

        // Images: the sample pictures, byte for byte, step 40 as the resumed start drew it.
        let images = try XCTUnwrap((loaded["images"] as? [String: [[Any]]])?["samples"], "no samples images: \(reading.stdout.prefix(500))")
        XCTAssertEqual(images.compactMap { $0[0] as? Int }, [20, 40, 60])
        for image in images {
            let step = try XCTUnwrap(image[0] as? Int)
            let png = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(image[3] as? String)))
            XCTAssertEqual(png, FileManager.default.contents(atPath: "\(run)/samples/step-\(padded(step)).png"), "samples at step \(step)")
            let picture = try PNGImage.read(from: "\(run)/samples/step-\(padded(step)).png")
            XCTAssertEqual([image[1] as? Int, image[2] as? Int], [picture.width, picture.height])
        }

        // The configuration, as the text plugin's, once per start: the first as it was, then
        // config.json as the resume rewrote it.
        XCTAssertEqual((loaded["plugins"] as? [String: String])?["config"], "text")
        let texts = try XCTUnwrap((loaded["texts"] as? [String: [[Any]]])?["config"], "no config text: \(reading.stdout.prefix(500))")
        XCTAssertEqual(texts.compactMap { $0[0] as? Int }, [1, 21])
        let configs = try texts.map { try XCTUnwrap(Data(base64Encoded: try XCTUnwrap($0[1] as? String))) }
        XCTAssertEqual(configs.last, FileManager.default.contents(atPath: run + "/config.json"))
        let original = try XCTUnwrap(JSONSerialization.jsonObject(with: configs[0]) as? [String: Any])
        XCTAssertEqual((original["resumes"] as? [Any])?.count, 0)
        XCTAssertEqual((original["options"] as? [String: Any])?["steps"] as? Int, 40)

        // The server's dashboards see the same steps.
        let serverSteps = try XCTUnwrap(loaded["server_steps"] as? [String: [Int]])
        XCTAssertEqual(Set(serverSteps.keys), Set(tags + ["samples", "config"]))
        for tag in tags { XCTAssertEqual(serverSteps[tag], steps, "the server's steps of \(tag)") }
        XCTAssertEqual(serverSteps["samples"], [20, 40, 60])
        XCTAssertEqual(serverSteps["config"], [1, 21])
    }
}
