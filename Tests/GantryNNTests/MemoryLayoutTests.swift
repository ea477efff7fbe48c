import XCTest
@testable import GantryNN

/// The memory savings of the training step must not change what is computed: convolutions
/// built a chunk of samples at a time, activations run in place, and networks sharing one
/// scratch space give the same numbers as the straightforward layout.
final class MemoryLayoutTests: XCTestCase {
    /// Builds layers with column matrices limited to `floats` (restoring the default after).
    private func withChunkLimit<T>(_ floats: Int, _ make: () -> T) -> T {
        let saved = WindowGeometry.defaultChunkFloats
        WindowGeometry.defaultChunkFloats = floats
        defer { WindowGeometry.defaultChunkFloats = saved }
        return make()
    }

    /// Forward output, input gradient and parameter gradients of one layer for fixed data.
    private func run(_ layer: Layer, batch: Int, seed: UInt64) -> (output: [Float], input: [Float], parameters: [Float]) {
        var random = SplitMix64(seed: seed)
        let harness = LayerHarness(layer, batch: batch)
        random.fill(harness.input)
        random.fill(harness.parameters, -0.5, 0.5)
        let weights = FloatBuffer(count: harness.output.count)
        random.fill(weights)
        harness.forward(training: true)
        let inputGradient = FloatBuffer(count: harness.input.count)
        harness.backward(weights, inputGradient: inputGradient, accumulate: true)
        return (harness.output.array, inputGradient.array, harness.gradients.array)
    }

    private func assertClose(_ a: [Float], _ b: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let scale = max(a.map(abs).max() ?? 0, 1e-6)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-5 * scale, "\(what): differs by \(worst) (scale \(scale))", file: file, line: line)
    }

    func testChunkedConvolutionsMatchTheWholeBatch() {
        let batch = 5
        // (make a layer, a chunk limit that splits the batch 2 + 2 + 1)
        let cases: [(String, () -> Layer)] = [
            ("Conv2d k4 s2 p1", { Conv2d(input: Shape(channels: 3, height: 8, width: 8), outChannels: 4, kernel: 4, stride: 2, padding: 1) }),
            ("Conv2d k3 s1 p0", { Conv2d(input: Shape(channels: 2, height: 5, width: 6), outChannels: 3, kernel: 3, stride: 1, padding: 0, bias: false) }),
            ("Conv2d whole image", { Conv2d(input: Shape(channels: 3, height: 4, width: 4), outChannels: 2, kernel: 4) }),
            ("ConvT k4 s2 p1", { ConvTranspose2d(input: Shape(channels: 4, height: 3, width: 3), outChannels: 3, kernel: 4, stride: 2, padding: 1) }),
            ("ConvT k3 s2 p1", { ConvTranspose2d(input: Shape(channels: 3, height: 4, width: 4), outChannels: 2, kernel: 3, stride: 2, padding: 1, bias: false) }),
            ("ConvT from 1x1", { ConvTranspose2d(input: Shape(channels: 5, height: 1, width: 1), outChannels: 3, kernel: 4, stride: 1, padding: 0) }),
        ]
        for (name, make) in cases {
            let whole = make()
            let perSample = whole.workspaceCount(batch: 1)
            XCTAssertEqual(whole.workspaceCount(batch: batch), batch * perSample, "\(name): the default limit holds this batch whole")
            let chunked = withChunkLimit(2 * perSample + 1, make)
            XCTAssertEqual(chunked.workspaceCount(batch: batch), 2 * perSample, "\(name): chunks of two samples")
            let a = run(whole, batch: batch, seed: 90), b = run(chunked, batch: batch, seed: 90)
            assertClose(b.output, a.output, "\(name) output")
            assertClose(b.input, a.input, "\(name) input gradient")
            assertClose(b.parameters, a.parameters, "\(name) parameter gradients")
        }
    }

    func testChunkedConvolutionGradients() {
        let conv = withChunkLimit(2 * 48 * 9) {
            Conv2d(input: Shape(channels: 3, height: 6, width: 6), outChannels: 2, kernel: 4, stride: 2, padding: 1)
        }
        XCTAssertEqual(conv.workspaceCount(batch: 3), 2 * 48 * 9)
        checkLayerGradients(conv, batch: 3, seed: 91)
        let transposed = withChunkLimit(2 * 48 * 9) {
            ConvTranspose2d(input: Shape(channels: 2, height: 3, width: 3), outChannels: 3, kernel: 4, stride: 2, padding: 1)
        }
        XCTAssertEqual(transposed.workspaceCount(batch: 3), 2 * 48 * 9)
        checkLayerGradients(transposed, batch: 3, seed: 92)
    }

    /// A network runs activations in place; the layers run by hand with a buffer each give
    /// exactly the same output and gradients.
    func testInPlaceActivationsMatchSeparateBuffers() {
        let batch = 3
        let image = Shape(channels: 2, height: 6, width: 6)
        let conv = ConvTranspose2d(input: Shape(channels: 3, height: 3, width: 3), outChannels: 2, kernel: 4, stride: 2, padding: 1, bias: false)
        let layers: [Layer] = [conv, BatchNorm(image), ReLU(image),
                               Conv2d(input: image, outChannels: 2, kernel: 3, stride: 1, padding: 1), LeakyReLU(image),
                               Conv2d(input: image, outChannels: 1, kernel: 4, stride: 2, padding: 1), Tanh(Shape(channels: 1, height: 3, width: 3))]
        let network = Network(name: "chain", layers: layers, batchSize: batch, scratch: ScratchSpace())
        // ConvT, BN, Conv, Conv own buffers; ReLU, LeakyReLU and Tanh run in place.
        let owned = [conv.outputShape, image, image, Shape(channels: 1, height: 3, width: 3)].reduce(0) { $0 + $1.count * batch }
        XCTAssertEqual(network.activationMemoryFloats, owned)

        var random = SplitMix64(seed: 93)
        random.fill(network.parameters, -0.5, 0.5)
        let input = FloatBuffer(count: network.inputShape.count * batch)
        random.fill(input)
        let weights = FloatBuffer(count: network.outputShape.count * batch)
        random.fill(weights)
        network.zeroGradients()
        let output = Array(UnsafeBufferPointer(start: network.forward(input.pointer, training: true), count: weights.count))
        let inputGradient = Array(UnsafeBufferPointer(
            start: network.backward(weights.pointer, accumulateParameterGradients: true, needInputGradient: true)!,
            count: input.count))

        // By hand: a fresh buffer for every activation and gradient, the same parameters.
        let parameters = FloatBuffer(count: network.parameters.count), gradients = FloatBuffer(count: network.parameters.count)
        parameters.copy(from: network.parameters.pointer)
        let state = FloatBuffer(count: network.state.count)
        let workspace = FloatBuffer(count: layers.map { $0.workspaceCount(batch: batch) }.max()!)
        var outputs: [FloatBuffer] = []
        for (i, layer) in layers.enumerated() {
            layer.bind(parameters: parameters.pointer + network.parameterOffsets[i], gradients: gradients.pointer + network.parameterOffsets[i],
                       state: state.pointer + network.stateOffsets[i], workspace: workspace.pointer)
            layer.resetState()
            outputs.append(FloatBuffer(count: layer.outputShape.count * batch))
            layer.forward(input: i == 0 ? UnsafePointer(input.pointer) : UnsafePointer(outputs[i - 1].pointer),
                          output: outputs[i].pointer, batch: batch, training: true)
        }
        var gradient = weights
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            let next = FloatBuffer(count: layers[i].inputShape.count * batch)
            layers[i].backward(input: i == 0 ? UnsafePointer(input.pointer) : UnsafePointer(outputs[i - 1].pointer),
                               output: outputs[i].pointer, outputGradient: gradient.pointer, inputGradient: next.pointer,
                               batch: batch, accumulateParameterGradients: true)
            gradient = next
        }
        XCTAssertEqual(output, outputs.last!.array)
        XCTAssertEqual(inputGradient, gradient.array)
        XCTAssertEqual(network.gradients.array, gradients.array)
    }

    /// G → D → loss gradient → D backward to the images → G backward, with G and D sharing one
    /// scratch space (D's input gradient is read by G's backward from that space), equals
    /// the same with a scratch space each.
    func testNetworksSharingScratchMatchSeparateScratch() {
        func makePair(_ shared: ScratchSpace?) -> (g: Network, d: Network) {
            let image = Shape(channels: 2, height: 6, width: 6)
            let g = Network(name: "G", layers: [ConvTranspose2d(input: Shape(channels: 4, height: 3, width: 3), outChannels: 2, kernel: 4, stride: 2, padding: 1),
                                                BatchNorm(image), ReLU(image)],
                            batchSize: 3, scratch: shared ?? ScratchSpace())
            let d = Network(name: "D", layers: [Conv2d(input: image, outChannels: 3, kernel: 4, stride: 2, padding: 1), LeakyReLU(Shape(channels: 3, height: 3, width: 3)),
                                                Conv2d(input: Shape(channels: 3, height: 3, width: 3), outChannels: 1, kernel: 3)],
                            batchSize: 3, scratch: shared ?? ScratchSpace())
            for (network, seed) in [(g, UInt64(94)), (d, 95)] {
                var random = SplitMix64(seed: seed)
                random.fill(network.parameters, -0.5, 0.5)
            }
            return (g, d)
        }
        func step(_ g: Network, _ d: Network) -> [Float] {
            var random = SplitMix64(seed: 96)
            let noise = FloatBuffer(count: g.inputShape.count * 3)
            random.fill(noise)
            let logitGradient = FloatBuffer(count: 3)
            random.fill(logitGradient)
            d.forward(g.forward(noise.pointer, training: true), training: true)
            g.zeroGradients()
            let imageGradient = d.backward(logitGradient.pointer, accumulateParameterGradients: false, needInputGradient: true)!
            g.backward(imageGradient, accumulateParameterGradients: true, needInputGradient: false)
            return g.gradients.array
        }
        let separate = makePair(nil)
        let expected = step(separate.g, separate.d)
        XCTAssertTrue(expected.contains { $0 != 0 })

        let space = ScratchSpace()
        let shared = makePair(space)
        XCTAssertEqual(step(shared.g, shared.d), expected)

        // A larger network joining the space moves its memory; the pair rebinds and still agrees.
        let generation = space.generation
        let big = Network(name: "big", layers: [Conv2d(input: Shape(channels: 8, height: 16, width: 16), outChannels: 2, kernel: 3, padding: 1)],
                          batchSize: 4, scratch: space)
        XCTAssertGreaterThan(space.generation, generation)
        XCTAssertEqual(step(shared.g, shared.d), expected)
        _ = big
    }
}
