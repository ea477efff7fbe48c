import Foundation
import GantryData
import XCTest

/// `launch/get-mnist5k.sh`: real MNIST digits with their labels, which `idx:` reads as a
/// labelled dataset and `gantry train` trains on; and, coloured and written as CIFAR-10
/// batch files, what `cifar10:` reads for dcgan32.
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

        let scratch = try temporaryDirectory("mnist5k")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let trained = try GantryProcess.direct(["train", "--model", "dcgan28", "--data", "idx:" + directory,
                                                "--batch", "8", "--steps", "2", "--out", scratch + "/run28"])
        XCTAssertEqual(trained.status, 0, trained.output)

        // color32: MNIST-5k written by `gantry prepare --format cifar10`: five CIFAR-10 batches
        // of 1000, with the digits' names.
        let colored = try makeDataset("color32:idx:" + directory, seed: 4)
        let cifarDirectory = scratch + "/cifar"
        let prepared = try GantryProcess.direct(["prepare", "--data", "color32:idx:" + directory, "--seed", "4",
                                                 "--format", "cifar10", "--to", cifarDirectory])
        XCTAssertEqual(prepared.status, 0, prepared.output)
        let cifar = try makeDataset("cifar10:" + cifarDirectory, seed: 0)
        XCTAssertEqual(cifar.count, 5000)
        XCTAssertEqual(cifar.classNames, colored.classNames)
        XCTAssertEqual((0..<5000).map { cifar.label(ofSample: $0) }, (0..<5000).map { colored.label(ofSample: $0) })
        XCTAssertEqual(CIFAR10.records(of: cifar, indices: 0..<5000), CIFAR10.records(of: colored, indices: 0..<5000))
        let trained32 = try GantryProcess.direct(["train", "--model", "dcgan32", "--data", "cifar10:" + cifarDirectory,
                                                  "--batch", "8", "--steps", "2", "--out", scratch + "/run32"])
        XCTAssertEqual(trained32.status, 0, trained32.output)
    }
}
