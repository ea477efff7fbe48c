import XCTest
import GantryNN

final class MaxoutTests: XCTestCase {
    /// Finite differences are only valid away from the max's kinks: each unit's pieces are set
    /// at least 0.06 apart (the step is 0.01), in a random order so that every piece wins somewhere.
    func testGradients() {
        for shape in [Shape(channels: 3), Shape(channels: 2, height: 2, width: 3)] {
            let pieces = 4
            checkLayerGradients(Maxout(shape, pieces: pieces), batch: 3, seed: 90) { harness in
                var random = SplitMix64(seed: 91)
                let plane = 3 * shape.spatial
                for u in 0..<shape.channels {
                    for index in 0..<plane {
                        var order = Array(0..<pieces)
                        for i in stride(from: pieces - 1, to: 0, by: -1) { order.swapAt(i, Int(random.next() % UInt64(i + 1))) }
                        for q in 0..<pieces {
                            harness.input[(u * pieces + q) * plane + index] = 0.1 * Float(order[q]) - 0.15 + random.uniform(-0.02, 0.02)
                        }
                    }
                }
            }
        }
    }

    /// Each output is the largest of its unit's consecutive input channels (the first on a
    /// tie), and backward sends the gradient to that channel alone.
    func testValuesAndRouting() {
        let layer = Maxout(Shape(channels: 2), pieces: 3)
        XCTAssertEqual(layer.inputShape, Shape(channels: 6))
        XCTAssertEqual(layer.summary, "Maxout(3 pieces)")
        let harness = LayerHarness(layer, batch: 2)
        // Channel-major (6, 2): unit 0 reads channels 0-2, unit 1 channels 3-5.
        harness.input.load([1, -5,   3, -6,   2, -7,
                            0, 4,    0, 4,    -1, 1])
        harness.forward(training: true)
        XCTAssertEqual(harness.output.array, [3, -5, 0, 4])
        let outputGradient = FloatBuffer(count: 4)
        outputGradient.load([10, 20, 30, 40])
        let inputGradient = FloatBuffer(count: 12)
        harness.backward(outputGradient, inputGradient: inputGradient, accumulate: true)
        XCTAssertEqual(inputGradient.array, [0, 20,  10, 0,  0, 0,
                                             30, 40, 0, 0,   0, 0])
    }
}
