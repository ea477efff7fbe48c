import GantryData
import XCTest

/// `launch/get-mnist5k.sh`: real MNIST digits with their labels, which `idx:` reads as a
/// labelled dataset and `gantry train` trains on.
final class MNIST5kTests: XCTestCase {
    func testScriptWritesLabelledDigitsThatTrain() throws {
        let directory = try MNIST5k.directory
        // A second run finds the files valid and leaves them alone.
        let again = try MNIST5k.fetch()
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertTrue(again.stdout.contains("already holds"), again.output)

        for spec in ["idx:" + directory, "color32:idx:" + directory] {
            let dataset = try makeDataset(spec, seed: 1)
            XCTAssertEqual(dataset.count, 5000, spec)
            XCTAssertEqual(dataset.classNames, (0...9).map(String.init), spec)
            var perClass = [Int](repeating: 0, count: 10)
            for index in 0..<dataset.count { perClass[try XCTUnwrap(dataset.label(ofSample: index))] += 1 }
            XCTAssertEqual(perClass, [Int](repeating: 500, count: 10), spec)
        }
        let images = try XCTUnwrap(try makeDataset("idx:" + directory, seed: 1) as? IDXImages)
        XCTAssertEqual(images.shape, SampleShape(channels: 1, height: 28, width: 28))
        // Real digits: mostly background, some full ink.
        XCTAssertGreaterThan(images.pixels.filter { $0 == 0 }.count, images.pixels.count / 2)
        XCTAssertTrue(images.pixels.contains(255))

        let run = try temporaryDirectory("mnist5k") + "/run"
        let trained = try GantryProcess.direct(["train", "--model", "dcgan28", "--data", "idx:" + directory,
                                                "--batch", "8", "--steps", "2", "--out", run])
        XCTAssertEqual(trained.status, 0, trained.output)
        try? FileManager.default.removeItem(atPath: run)
    }
}
