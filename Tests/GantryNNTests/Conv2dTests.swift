import XCTest
import GantryNN

final class Conv2dTests: XCTestCase {
    /// The textbook definition: every output pixel as an explicit sum over channels and taps.
    private func naiveConvolution(_ layer: Conv2d, input: FloatBuffer, parameters: FloatBuffer, batch: Int) -> [Float] {
        let i = layer.inputShape, o = layer.outputShape, k = layer.kernel
        var result = [Float](repeating: 0, count: o.count * batch)
        for n in 0..<batch {
            for co in 0..<o.channels {
                for oh in 0..<o.height {
                    for ow in 0..<o.width {
                        var sum: Float = layer.hasBias ? parameters[o.channels * i.channels * k * k + co] : 0
                        for ci in 0..<i.channels {
                            for ki in 0..<k {
                                for kj in 0..<k {
                                    let ih = oh * layer.stride - layer.padding + ki
                                    let iw = ow * layer.stride - layer.padding + kj
                                    guard ih >= 0, ih < i.height, iw >= 0, iw < i.width else { continue }
                                    let x = input[((ci * batch + n) * i.height + ih) * i.width + iw]
                                    sum += parameters[((co * i.channels + ci) * k + ki) * k + kj] * x
                                }
                            }
                        }
                        result[((co * batch + n) * o.height + oh) * o.width + ow] = sum
                    }
                }
            }
        }
        return result
    }

    func testForwardMatchesDirectConvolution() {
        var random = SplitMix64(seed: 10)
        let image = Shape(channels: 3, height: 7, width: 6)
        // The last two have one window per sample (whole-image kernel; kernel partly in the padding).
        let cases = [(image, 3, 1, 1, true), (image, 4, 2, 1, false), (image, 3, 2, 1, true), (image, 2, 3, 0, true),
                     (Shape(channels: 3, height: 4, width: 4), 4, 1, 0, false),
                     (Shape(channels: 2, height: 2, width: 3), 4, 2, 1, true)]
        for (input, kernel, stride, padding, bias) in cases {
            let layer = Conv2d(input: input, outChannels: 4, kernel: kernel, stride: stride, padding: padding, bias: bias)
            assertForwardMatches(layer, random: &random, reference: naiveConvolution)
        }
    }

    func testOutputShapesAndSummary() {
        let layer = Conv2d(input: Shape(channels: 1, height: 28, width: 28), outChannels: 64,
                           kernel: 4, stride: 2, padding: 1, bias: false)
        XCTAssertEqual(layer.outputShape, Shape(channels: 64, height: 14, width: 14))
        XCTAssertEqual(layer.summary, "Conv2d(1→64, k4, s2, p1)")
        XCTAssertEqual(layer.parameterCount, 64 * 16)
        XCTAssertEqual(layer.forwardMultiplyAddsPerSample, 64 * 16 * 14 * 14)
        XCTAssertEqual(layer.parameterTensors.map(\.fanIn), [16])
        let odd = Conv2d(input: Shape(channels: 128, height: 7, width: 7), outChannels: 256, kernel: 3, stride: 2, padding: 1)
        XCTAssertEqual(odd.outputShape, Shape(channels: 256, height: 4, width: 4))
        XCTAssertEqual(odd.parameterTensors.map(\.role), [.weight, .bias])
    }

    func testGradientsKernel4Stride2Padding1() {
        checkLayerGradients(Conv2d(input: Shape(channels: 2, height: 6, width: 6), outChannels: 3,
                                   kernel: 4, stride: 2, padding: 1), batch: 2, seed: 11)
    }

    func testGradientsKernel3Stride2Padding1() {
        checkLayerGradients(Conv2d(input: Shape(channels: 3, height: 7, width: 7), outChannels: 2,
                                   kernel: 3, stride: 2, padding: 1, bias: false), batch: 2, seed: 12)
    }

    func testGradientsKernel3Stride1Padding1() {
        checkLayerGradients(Conv2d(input: Shape(channels: 2, height: 5, width: 4), outChannels: 2,
                                   kernel: 3, stride: 1, padding: 1), batch: 3, seed: 13)
    }

    /// One window per sample (D's head covers the whole image; here also partly padding),
    /// and a stride that skips pixels.
    func testGradientsSingleWindowAndSkippingStride() {
        checkLayerGradients(Conv2d(input: Shape(channels: 3, height: 4, width: 4), outChannels: 2,
                                   kernel: 4, stride: 1, padding: 0), batch: 2, seed: 14)
        checkLayerGradients(Conv2d(input: Shape(channels: 2, height: 2, width: 2), outChannels: 2,
                                   kernel: 4, stride: 1, padding: 1), batch: 3, seed: 16)
        checkLayerGradients(Conv2d(input: Shape(channels: 2, height: 8, width: 7), outChannels: 2,
                                   kernel: 2, stride: 3, padding: 0), batch: 2, seed: 15)
    }
}
