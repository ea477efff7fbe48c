import XCTest
import GantryNN

final class ConvTranspose2dTests: XCTestCase {
    /// The textbook definition: every input pixel scatters weight·x onto a k×k patch of the
    /// output, placed stride apart and shifted up-left by the padding.
    private func naiveScatter(_ layer: ConvTranspose2d, input: FloatBuffer, parameters: FloatBuffer, batch: Int) -> [Float] {
        let i = layer.inputShape, o = layer.outputShape, k = layer.kernel
        var result = [Float](repeating: 0, count: o.count * batch)
        for n in 0..<batch {
            for ci in 0..<i.channels {
                for ih in 0..<i.height {
                    for iw in 0..<i.width {
                        let x = input[((ci * batch + n) * i.height + ih) * i.width + iw]
                        for co in 0..<o.channels {
                            for ki in 0..<k {
                                for kj in 0..<k {
                                    let oh = ih * layer.stride - layer.padding + ki
                                    let ow = iw * layer.stride - layer.padding + kj
                                    guard oh >= 0, oh < o.height, ow >= 0, ow < o.width else { continue }
                                    result[((co * batch + n) * o.height + oh) * o.width + ow] +=
                                        parameters[((ci * o.channels + co) * k + ki) * k + kj] * x
                                }
                            }
                        }
                    }
                }
            }
        }
        if layer.hasBias {
            let plane = o.spatial * batch
            for co in 0..<o.channels {
                for p in 0..<plane { result[co * plane + p] += parameters[i.channels * o.channels * k * k + co] }
            }
        }
        return result
    }

    func testForwardMatchesNaiveScatter() {
        var random = SplitMix64(seed: 20)
        let image = Shape(channels: 3, height: 4, width: 3)
        // The last two start from 1×1 inputs (G's first layer; and with padding).
        let cases = [(image, 4, 2, 1, true), (image, 3, 2, 1, false), (image, 4, 1, 0, true), (image, 2, 3, 1, true),
                     (Shape(channels: 3), 4, 1, 0, false), (Shape(channels: 3), 4, 2, 1, true)]
        for (input, kernel, stride, padding, bias) in cases {
            let layer = ConvTranspose2d(input: input, outChannels: 2, kernel: kernel, stride: stride,
                                        padding: padding, bias: bias)
            assertForwardMatches(layer, random: &random, reference: naiveScatter)
        }
    }

    func testOutputShapesAndSummary() {
        let first = ConvTranspose2d(input: Shape(channels: 100), outChannels: 256, kernel: 4, stride: 1, padding: 0, bias: false)
        XCTAssertEqual(first.outputShape, Shape(channels: 256, height: 4, width: 4))
        XCTAssertEqual(first.summary, "ConvTranspose2d(100→256, k4, s1, p0)")
        XCTAssertEqual(first.parameterCount, 100 * 256 * 16)
        XCTAssertEqual(first.forwardMultiplyAddsPerSample, 100 * 256 * 16)
        XCTAssertEqual(first.parameterTensors.map(\.fanIn), [256 * 16])
        let odd = ConvTranspose2d(input: Shape(channels: 256, height: 4, width: 4), outChannels: 128,
                                  kernel: 3, stride: 2, padding: 1)
        XCTAssertEqual(odd.outputShape, Shape(channels: 128, height: 7, width: 7))
        XCTAssertEqual(odd.parameterCount, 256 * 128 * 9 + 128)
    }

    func testGradientsKernel4Stride2Padding1() {
        checkLayerGradients(ConvTranspose2d(input: Shape(channels: 2, height: 3, width: 3), outChannels: 3,
                                            kernel: 4, stride: 2, padding: 1), batch: 2, seed: 21)
    }

    func testGradientsKernel3Stride2Padding1() {
        checkLayerGradients(ConvTranspose2d(input: Shape(channels: 3, height: 4, width: 4), outChannels: 2,
                                            kernel: 3, stride: 2, padding: 1, bias: false), batch: 2, seed: 22)
    }

    /// G's first layer: a noise vector (1×1) to a 4×4 image; and to 2×2 with padding.
    func testGradientsFromVector() {
        checkLayerGradients(ConvTranspose2d(input: Shape(channels: 4), outChannels: 2,
                                            kernel: 4, stride: 1, padding: 0), batch: 3, seed: 23)
        checkLayerGradients(ConvTranspose2d(input: Shape(channels: 3), outChannels: 2,
                                            kernel: 4, stride: 2, padding: 1), batch: 2, seed: 25)
    }

    func testGradientsStrideLargerThanKernel() {
        checkLayerGradients(ConvTranspose2d(input: Shape(channels: 2, height: 3, width: 2), outChannels: 2,
                                            kernel: 2, stride: 3, padding: 1), batch: 2, seed: 24)
    }
}
