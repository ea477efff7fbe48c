import XCTest
@testable import GantryNN

/// The R1 penalty's second-order pass (docs/stabilisers.md): each layer's backward of its
/// backward, and the whole pass over small discriminators, against finite differences of the
/// squared input-gradient norm computed through the ordinary backward pass.
final class GradientPenaltyTests: XCTestCase {
    func testLinearBackwardOfBackward() {
        checkBackwardOfBackward(Linear(5, 4), batch: 3, seed: 150)
        checkBackwardOfBackward(Linear(3, 6, bias: false), batch: 2, seed: 151)
    }

    func testLeakyReLUBackwardOfBackward() {
        checkBackwardOfBackward(LeakyReLU(Shape(channels: 3, height: 2, width: 2), slope: 0.2), batch: 2, seed: 152)
    }

    func testConv2dBackwardOfBackward() {
        checkBackwardOfBackward(Conv2d(input: Shape(channels: 2, height: 6, width: 6), outChannels: 3,
                                       kernel: 4, stride: 2, padding: 1, bias: true), batch: 2, seed: 153)
        checkBackwardOfBackward(Conv2d(input: Shape(channels: 3, height: 4, width: 4), outChannels: 1,
                                       kernel: 4, stride: 1, padding: 0, bias: false), batch: 3, seed: 154)
        // A column matrix built two samples at a time.
        let saved = WindowGeometry.defaultChunkFloats
        WindowGeometry.defaultChunkFloats = 2 * 48 * 9
        let chunked = Conv2d(input: Shape(channels: 3, height: 6, width: 6), outChannels: 2, kernel: 4, stride: 2, padding: 1)
        WindowGeometry.defaultChunkFloats = saved
        XCTAssertEqual(chunked.workspaceCount(batch: 3), 2 * 48 * 9)
        checkBackwardOfBackward(chunked, batch: 3, seed: 155)
    }

    /// A layer on oneDNN runs Gantry's backward of its backward in column chunks that fit
    /// its oneDNN arena, here smaller than one im2col chunk of the batch.
    func testConv2dOnOneDNNBackwardOfBackward() throws {
        ConvolutionBackend.use(.onednn)
        defer { ConvolutionBackend.use(.gantry) }
        let conv = Conv2d(input: Shape(channels: 16, height: 8, width: 8), outChannels: 16, kernel: 4, stride: 2, padding: 1)
        guard conv.onednn != nil else { throw XCTSkip("oneDNN has no fast kernels on this CPU") }
        let saved = WindowGeometry.defaultChunkFloats
        // A chunk of three samples' columns (256 rows × 16 positions each); the arena, three
        // samples' input and output and the weights, is smaller, so R1 goes a sample at a time.
        WindowGeometry.defaultChunkFloats = 3 * 256 * 16
        let chunked = Conv2d(input: Shape(channels: 16, height: 8, width: 8), outChannels: 16, kernel: 4, stride: 2, padding: 1)
        WindowGeometry.defaultChunkFloats = saved
        XCTAssertLessThan(chunked.columnCount(batch: 3), chunked.geometry.chunkCount(samples: 3), "the arena must hold less than the batch's columns")
        checkBackwardOfBackward(chunked, batch: 3, seed: 158)
    }

    func testMaxoutBackwardOfBackward() {
        checkBackwardOfBackward(Maxout(Shape(channels: 3), pieces: 4), batch: 3, seed: 156, step: 1e-3)
        checkBackwardOfBackward(Maxout(Shape(channels: 2, height: 2, width: 2), pieces: 2), batch: 2, seed: 157, step: 1e-3)
    }

    func testPackBackwardOfBackward() {
        checkBackwardOfBackward(Pack(Shape(channels: 2), count: 3), batch: 6, seed: 158)
        checkBackwardOfBackward(Pack(Shape(channels: 2, height: 2, width: 3), count: 2), batch: 4, seed: 159)
    }

    func testLayersWithoutTheirBackwardOfBackwardAreNamed() {
        let shape = Shape(channels: 4)
        let layers: [Layer] = [Linear(2, 4), LeakyReLU(shape), BatchNorm(shape), Tanh(shape)]
        let unsupported = GradientPenalty.unsupportedLayer(in: layers)
        XCTAssertEqual(unsupported?.index, 2)
        XCTAssertTrue(unsupported?.layer is BatchNorm)
        XCTAssertFalse(Tanh(shape).hasBackwardOfBackward)
        XCTAssertNil(GradientPenalty.unsupportedLayer(in: Array(layers.prefix(2))))
    }

    /// D of the mlp model, narrower: 2 → 16 → 16 → 1 with LeakyReLU(0.2).
    func testPenaltyGradientOfAnMLPDiscriminator() {
        let layers: [Layer] = [Linear(2, 16), LeakyReLU(Shape(channels: 16), slope: 0.2),
                               Linear(16, 16), LeakyReLU(Shape(channels: 16), slope: 0.2), Linear(16, 1)]
        checkPenaltyGradient(layers, batch: 3, seed: 160)
    }

    /// PacGAN's D, narrower: pairs packed, maxout units of 3 pieces. The penalty is over the
    /// packed samples, one logit each.
    func testPenaltyGradientOfAPackedMaxoutDiscriminator() {
        let layers: [Layer] = [Pack(Shape(channels: 2), count: 2), Linear(4, 18), Maxout(Shape(channels: 6), pieces: 3),
                               Linear(6, 12), Maxout(Shape(channels: 4), pieces: 3), Linear(4, 1)]
        checkPenaltyGradient(layers, batch: 6, seed: 161)
    }

    /// A DCGAN D with --d-norm none, small: strided convolutions with a bias where BatchNorm
    /// would be, LeakyReLU(0.2), a convolution head to one logit.
    func testPenaltyGradientOfAConvolutionalDiscriminator() {
        let image = Shape(channels: 2, height: 8, width: 8)
        let first = Conv2d(input: image, outChannels: 3, kernel: 4, stride: 2, padding: 1, bias: false)
        let second = Conv2d(input: first.outputShape, outChannels: 4, kernel: 4, stride: 2, padding: 1, bias: true)
        let head = Conv2d(input: second.outputShape, outChannels: 1, kernel: 2, stride: 1, padding: 0, bias: false)
        let layers: [Layer] = [first, LeakyReLU(first.outputShape, slope: 0.2),
                               second, LeakyReLU(second.outputShape, slope: 0.2), head]
        checkPenaltyGradient(layers, batch: 2, seed: 162)
    }

    /// P = Σ_n ‖∇ₓD(x_n)‖²: `accumulateGradient` must return it and add scale·dP/dθ, matching
    /// central differences of P computed with Network.backward of ones; dP/dx must be zero
    /// (the layers' Jacobians are constant between kinks).
    private func checkPenaltyGradient(_ layers: [Layer], batch: Int, seed: UInt64,
                                      file: StaticString = #filePath, line: UInt = #line) {
        var random = SplitMix64(seed: seed)
        let network = Network(name: "D", layers: layers, batchSize: batch, scratch: ScratchSpace())
        let penalty = GradientPenalty(network: network)
        let input = FloatBuffer(count: network.inputShape.count * batch)
        for i in 0..<input.count { input[i] = random.awayFromZero() }
        random.fill(network.parameters, -0.5, 0.5)
        let ones = FloatBuffer(count: network.outputBatchSize)
        ones.load(Array(repeating: 1, count: ones.count))
        func squaredInputGradient() -> Double {
            network.forward(input.pointer, training: true)
            let gradient = network.backward(ones.pointer, accumulateParameterGradients: false, needInputGradient: true)!
            return (0..<input.count).reduce(0.0) { $0 + Double(gradient[$1]) * Double(gradient[$1]) }
        }

        let scale: Float = 0.5
        network.zeroGradients()
        network.forward(input.pointer, training: true)
        let value = penalty.accumulateGradient(scale: scale)
        let analytic = network.gradients.array.map { $0 / scale }
        XCTAssertEqual(value, squaredInputGradient(), accuracy: 1e-5 * max(value, 1), "the penalty's value", file: file, line: line)
        XCTAssertGreaterThan(value, 0, file: file, line: line)

        let step: Float = 1e-3
        let parameterIndices = random.sample(200, of: network.parameters.count)
        let numeric = parameterIndices.map { centralDifference(network.parameters, $0, step: step, loss: squaredInputGradient) }
        assertGradientsMatch(analytic: analytic, numeric: numeric, indices: parameterIndices,
                             what: "penalty parameter gradient", relative: 1e-2, file: file, line: line)
        // The weights get a gradient, biases none (between kinks, P does not depend on them).
        XCTAssertGreaterThan(analytic.map(abs).max() ?? 0, 1e-3, file: file, line: line)
        let inputIndices = random.sample(50, of: input.count)
        assertGradientsMatch(analytic: Array(repeating: 0, count: input.count),
                             numeric: inputIndices.map { centralDifference(input, $0, step: step, loss: squaredInputGradient) },
                             indices: inputIndices, what: "penalty input gradient", file: file, line: line)
    }
}
