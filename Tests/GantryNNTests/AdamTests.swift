import XCTest
import Foundation
import GantryNN

final class AdamTests: XCTestCase {
    /// The optimiser (eight lanes at a time, then the tail) against Adam written out per
    /// parameter in the same Float arithmetic: the same bits.
    func testUpdateMatchesTheScalarFormula() {
        let count = 8 * 5 + 3
        var random = SplitMix64(seed: 80)
        let adam = Adam(parameterCount: count, learningRate: 2e-3, beta1: 0.5, beta2: 0.999)
        let parameters = FloatBuffer(count: count), gradients = FloatBuffer(count: count)
        random.fill(parameters)
        var p = parameters.array, m = [Float](repeating: 0, count: count), v = m
        for t in 1...4 {
            random.fill(gradients, -0.1, 0.1)
            adam.update(parameters: parameters.pointer, gradients: gradients.pointer)
            let stepSize = adam.learningRate / Float(1 - pow(Double(adam.beta1), Double(t)))
            let correction2Root = Float(1 - pow(Double(adam.beta2), Double(t))).squareRoot()
            for i in 0..<count {
                let g = gradients[i]
                m[i] = adam.beta1 * m[i] + (1 - adam.beta1) * g
                v[i] = adam.beta2 * v[i] + (1 - adam.beta2) * g * g
                p[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2Root + adam.epsilon)
            }
            XCTAssertEqual(parameters.array, p, "step \(t)")
            XCTAssertEqual(adam.firstMoment.array, m, "step \(t)")
            XCTAssertEqual(adam.secondMoment.array, v, "step \(t)")
        }
    }
}
