import XCTest
@testable import GantryNN

/// The oneDNN backend against Gantry's own convolutions (the reference, itself checked
/// against finite differences in Conv2dTests and ConvTranspose2dTests): the same layer built
/// under each backend, given the same parameters, input and output gradient, must agree on
/// the output, the input gradient and the accumulated weight gradient.
final class OneDNNConvolutionTests: XCTestCase {
    override func tearDown() {
        ConvolutionBackend.use(.gantry)
        WorkerPool.useThreads(1)
    }

    /// One layer's three results under `backend`.
    private struct Results { var output: [Float], inputGradient: [Float], weightGradient: [Float] }

    private func run(_ backend: ConvolutionBackend, threads: Int, batch: Int, seed: UInt64,
                     _ make: () -> Layer) -> (Results, Layer) {
        ConvolutionBackend.use(backend)
        WorkerPool.useThreads(threads)
        let layer = make()
        let harness = LayerHarness(layer, batch: batch)
        var random = SplitMix64(seed: seed)
        random.fill(harness.parameters, -0.1, 0.1)
        random.fill(harness.input)
        let outputGradient = FloatBuffer(count: harness.output.count), inputGradient = FloatBuffer(count: harness.input.count)
        random.fill(outputGradient)
        random.fill(harness.gradients)   // backward adds into what is there
        inputGradient.load(Array(repeating: .nan, count: inputGradient.count))
        harness.forward(training: true)
        harness.backward(outputGradient, inputGradient: inputGradient, accumulate: true)
        return (Results(output: harness.output.array, inputGradient: inputGradient.array,
                        weightGradient: harness.gradients.array), layer)
    }

    private func assertClose(_ got: [Float], _ want: [Float], _ what: String, _ layer: Layer,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, what, file: file, line: line)
        let scale = want.map { abs($0) }.max() ?? 1
        var worst = 0 as Float, at = 0
        for i in want.indices where abs(got[i] - want[i]) > worst { worst = abs(got[i] - want[i]); at = i }
        XCTAssertLessThanOrEqual(worst, 1e-5 * max(scale, 1), "\(layer.summary) \(what)[\(at)]: \(got[at]) vs \(want[at])",
                                 file: file, line: line)
    }

    /// dcgan28's layers that oneDNN takes, plus odd sizes (channels not a multiple of 16,
    /// an odd image side), at a batch that two threads split unevenly.
    private let layers: [(String, () -> Layer)] = [
        ("D conv2", { Conv2d(input: Shape(channels: 64, height: 14, width: 14), outChannels: 128, kernel: 4, stride: 2, padding: 1, bias: false) }),
        ("D conv3", { Conv2d(input: Shape(channels: 128, height: 7, width: 7), outChannels: 256, kernel: 3, stride: 2, padding: 1, bias: false) }),
        ("odd conv", { Conv2d(input: Shape(channels: 20, height: 9, width: 9), outChannels: 24, kernel: 3, stride: 1, padding: 1, bias: true) }),
        ("G convT2", { ConvTranspose2d(input: Shape(channels: 256, height: 4, width: 4), outChannels: 128, kernel: 3, stride: 2, padding: 1, bias: false) }),
        ("G convT3", { ConvTranspose2d(input: Shape(channels: 128, height: 7, width: 7), outChannels: 64, kernel: 4, stride: 2, padding: 1, bias: false) }),
        ("odd convT", { ConvTranspose2d(input: Shape(channels: 18, height: 5, width: 5), outChannels: 17, kernel: 4, stride: 2, padding: 1, bias: true) }),
    ]

    func testOneDNNMatchesTheReferenceOnOneAndTwoThreads() throws {
        for (name, make) in layers { for batch in [5, 64] {
            let (reference, _) = run(.gantry, threads: 1, batch: batch, seed: 7, make)
            for threads in [1, 2] {
                let (got, layer) = run(.onednn, threads: threads, batch: batch, seed: 7, make)
                let conv = try XCTUnwrap(layer as? ConvolutionLayer)
                XCTAssertNotNil(conv.onednn, "\(name): oneDNN should take this layer")
                assertClose(got.output, reference.output, "\(name) output, \(threads) threads", layer)
                assertClose(got.inputGradient, reference.inputGradient, "\(name) input gradient, \(threads) threads", layer)
                assertClose(got.weightGradient, reference.weightGradient, "\(name) weight gradient, \(threads) threads", layer)
            }
        } }
    }

    func testThinLayersKeepGantrysCode() {
        ConvolutionBackend.use(.onednn)
        let image = Conv2d(input: Shape(channels: 1, height: 28, width: 28), outChannels: 64, kernel: 4, stride: 2, padding: 1)
        let toImage = ConvTranspose2d(input: Shape(channels: 64, height: 14, width: 14), outChannels: 1, kernel: 4, stride: 2, padding: 1)
        XCTAssertNil(image.onednn)
        XCTAssertNil(toImage.onednn)
        ConvolutionBackend.use(.gantry)
        XCTAssertNil(Conv2d(input: Shape(channels: 64, height: 14, width: 14), outChannels: 128, kernel: 4, stride: 2, padding: 1).onednn)
    }

    /// A worker's arena budget is a whole im2col chunk, not a share of it: more workers do
    /// not cut their parts into smaller pieces (which convert the weights once each), and
    /// one worker does not take the whole batch at once.
    func testPiecesKeepTheirSizeAcrossThreadCounts() throws {
        ConvolutionBackend.use(.onednn)
        for (threads, piece) in [(1, 32), (2, 32), (4, 16)] {
            WorkerPool.useThreads(threads)
            let conv2 = Conv2d(input: Shape(channels: 64, height: 14, width: 14), outChannels: 128, kernel: 4, stride: 2, padding: 1, bias: false)
            XCTAssertEqual(try XCTUnwrap(conv2.onednn).pieceSamples(batch: 64), piece, "dcgan28's D conv2 at \(threads) threads")
        }
    }

    /// A batch larger than one piece goes to oneDNN in pieces; the results do not change.
    func testPiecesMatchTheReference() {
        let make = { Conv2d(input: Shape(channels: 16, height: 40, width: 40), outChannels: 16, kernel: 3, stride: 1, padding: 1, bias: false) as Layer }
        let (reference, _) = run(.gantry, threads: 1, batch: 90, seed: 3, make)
        let (got, layer) = run(.onednn, threads: 1, batch: 90, seed: 3, make)
        let conv = layer as! ConvolutionLayer
        XCTAssertLessThan(conv.onednn!.pieceSamples(batch: 90), 90, "the test must cut the batch")
        assertClose(got.output, reference.output, "output", layer)
        assertClose(got.inputGradient, reference.inputGradient, "input gradient", layer)
        assertClose(got.weightGradient, reference.weightGradient, "weight gradient", layer)
    }
}

extension OneDNNConvolutionTests {
    /// WorkerPool's guarantee holds on oneDNN too: outputs and input gradients are the same
    /// bits whether one worker hands oneDNN all 64 samples or two workers 32 each; only the
    /// weight gradient's sums are ordered by the split (within rounding, checked above).
    func testOutputsAndInputGradientsAreTheSameBitsForAnyThreadCount() {
        for (name, make) in layers {
            let (one, _) = run(.onednn, threads: 1, batch: 64, seed: 11, make)
            let (two, layer) = run(.onednn, threads: 2, batch: 64, seed: 11, make)
            XCTAssertTrue(one.output == two.output, "\(name): \(layer.summary) output differs between 1 and 2 threads")
            XCTAssertTrue(one.inputGradient == two.inputGradient, "\(name): \(layer.summary) input gradient differs between 1 and 2 threads")
        }
    }
}
