import XCTest
import GantryNN

/// The two DCGAN networks for 1×28×28 images that the trainer uses.
final class ReferenceModelTests: XCTestCase {
    private let batch = 2

    /// G: ConvT(100→256, k4, s1, p0) BN ReLU → ConvT(256→128, k3, s2, p1) BN ReLU →
    /// ConvT(128→64, k4, s2, p1) BN ReLU → ConvT(64→1, k4, s2, p1) Tanh.
    private func makeGenerator() -> Network {
        var layers: [Layer] = []
        var shape = Shape(channels: 100)
        for (outChannels, kernel, stride, padding) in [(256, 4, 1, 0), (128, 3, 2, 1), (64, 4, 2, 1)] {
            let convolution = ConvTranspose2d(input: shape, outChannels: outChannels, kernel: kernel,
                                              stride: stride, padding: padding, bias: false)
            shape = convolution.outputShape
            layers += [convolution, BatchNorm(shape), ReLU(shape)]
        }
        let last = ConvTranspose2d(input: shape, outChannels: 1, kernel: 4, stride: 2, padding: 1)
        layers += [last, Tanh(last.outputShape)]
        return Network(name: "G", layers: layers, batchSize: batch)
    }

    /// D: Conv(1→64, k4, s2, p1) LReLU → Conv(64→128, k4, s2, p1) BN LReLU →
    /// Conv(128→256, k3, s2, p1) BN LReLU → Conv(256→1, k4, s1, p0).
    private func makeDiscriminator() -> Network {
        let first = Conv2d(input: Shape(channels: 1, height: 28, width: 28), outChannels: 64, kernel: 4, stride: 2, padding: 1)
        var layers: [Layer] = [first, LeakyReLU(first.outputShape)]
        var shape = first.outputShape
        for (outChannels, kernel) in [(128, 4), (256, 3)] {
            let convolution = Conv2d(input: shape, outChannels: outChannels, kernel: kernel, stride: 2, padding: 1, bias: false)
            shape = convolution.outputShape
            layers += [convolution, BatchNorm(shape), LeakyReLU(shape)]
        }
        layers.append(Conv2d(input: shape, outChannels: 1, kernel: 4, stride: 1, padding: 0))
        return Network(name: "D", layers: layers, batchSize: batch)
    }

    /// DCGAN initialisation by role: small weights, unit scales, zero shifts and biases.
    private func initialize(_ network: Network, seed: UInt64) {
        var random = SplitMix64(seed: seed)
        for entry in network.parameterTensors {
            for i in entry.range {
                switch entry.tensor.role {
                case .weight: network.parameters[i] = random.uniform(-0.05, 0.05)
                case .scale: network.parameters[i] = 1
                case .bias, .shift: network.parameters[i] = 0
                }
            }
        }
    }

    func testShapesAndParameterCounts() {
        let g = makeGenerator(), d = makeDiscriminator()
        XCTAssertEqual(g.inputShape, Shape(channels: 100))
        XCTAssertEqual(g.outputShape, Shape(channels: 1, height: 28, width: 28))
        XCTAssertEqual(g.layers.compactMap { $0 as? ConvTranspose2d }.map(\.outputShape.height), [4, 7, 14, 28])
        XCTAssertEqual(g.parameters.count,
                       100 * 256 * 16 + 2 * 256 + 256 * 128 * 9 + 2 * 128 + 128 * 64 * 16 + 2 * 64 + 64 * 16 + 1)
        XCTAssertEqual(g.state.count, 2 * (256 + 128 + 64))

        XCTAssertEqual(d.inputShape, Shape(channels: 1, height: 28, width: 28))
        XCTAssertEqual(d.outputShape, Shape(channels: 1))
        XCTAssertEqual(d.layers.compactMap { $0 as? Conv2d }.map(\.outputShape.height), [14, 7, 4, 1])
        XCTAssertEqual(d.parameters.count,
                       64 * 16 + 64 + 128 * 64 * 16 + 2 * 128 + 256 * 128 * 9 + 2 * 256 + 256 * 16 + 1)
        XCTAssertEqual(d.state.count, 2 * (128 + 256))
    }

    /// One generator step: z → G → D → BCE, gradients back through D into G.
    func testGeneratorStepRunsEndToEnd() {
        let g = makeGenerator(), d = makeDiscriminator()
        initialize(g, seed: 70)
        initialize(d, seed: 71)
        var random = SplitMix64(seed: 72)
        let noise = FloatBuffer(count: 100 * batch)
        random.fill(noise)

        let images = g.forward(noise.pointer, training: true)
        let pixels = UnsafeBufferPointer(start: images, count: 28 * 28 * batch)
        XCTAssertTrue(pixels.allSatisfy { $0.isFinite && abs($0) <= 1 })
        XCTAssertTrue(pixels.contains { $0 != 0 })

        let logits = d.forward(images, training: true)
        let logitGradient = FloatBuffer(count: batch)
        let (loss, _) = BinaryCrossEntropy.mean(logits: logits, target: 1, count: batch, gradient: logitGradient.pointer)
        XCTAssertTrue(loss.isFinite)

        g.zeroGradients()
        let imageGradient = d.backward(logitGradient.pointer, accumulateParameterGradients: false, needInputGradient: true)!
        XCTAssertEqual(d.gradients.array.filter { $0 != 0 }.count, 0)
        XCTAssertNil(g.backward(imageGradient, accumulateParameterGradients: true, needInputGradient: false))
        XCTAssertTrue(g.gradients.array.allSatisfy(\.isFinite))
        XCTAssertTrue(g.gradients.array.contains { $0 != 0 })
    }
}
