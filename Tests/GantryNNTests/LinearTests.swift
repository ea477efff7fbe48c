import XCTest
import GantryNN

final class LinearTests: XCTestCase {
    func testGradientsWithBias() {
        checkLayerGradients(Linear(5, 4), batch: 3, seed: 1)
    }

    func testGradientsWithoutBias() {
        let layer = Linear(6, 3, bias: false)
        XCTAssertEqual(layer.parameterCount, 18)
        checkLayerGradients(layer, batch: 2, seed: 2)
    }
}
