import XCTest
import GantryNN

final class MinibatchStddevTests: XCTestCase {
    func testGradients() {
        checkLayerGradients(MinibatchStddev(Shape(channels: 5), groupSize: 4), batch: 8, seed: 95)
        checkLayerGradients(MinibatchStddev(Shape(channels: 2, height: 2, width: 3), groupSize: 2), batch: 4, seed: 96)
    }

    /// The extra channel holds each group's standard deviations averaged over the features;
    /// the other channels pass through.
    func testValues() {
        let layer = MinibatchStddev(Shape(channels: 2), groupSize: 2)
        XCTAssertEqual(layer.outputShape, Shape(channels: 3))
        let harness = LayerHarness(layer, batch: 4)
        // Channel-major (2, 4). Group 0: samples (0, 0) and (2, 4): stds 1 and 2, mean 1.5.
        // Group 1: samples (1, 1) and (1, 1): stds 0 (√ε).
        harness.input.load([0, 2, 1, 1, 0, 4, 1, 1])
        harness.forward(training: true)
        let output = harness.output.array
        XCTAssertEqual(Array(output[0..<8]), [0, 2, 1, 1, 0, 4, 1, 1])
        XCTAssertEqual(output[8], 1.5, accuracy: 1e-6)
        XCTAssertEqual(output[9], 1.5, accuracy: 1e-6)
        XCTAssertEqual(output[10], 0, accuracy: 1e-3)
        XCTAssertEqual(output[11], 0, accuracy: 1e-3)
    }
}
