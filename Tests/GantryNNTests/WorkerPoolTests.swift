import XCTest
import Glibc
@testable import GantryNN

/// The threads of a rank (`--threads`): the parallel for covers its range once, and layers
/// split over any number of threads give the same outputs and input gradients bit for bit,
/// the same weight gradients up to the order of their sums, and the same bits on every run.
final class WorkerPoolTests: XCTestCase {
    private var savedChunkFloats = 0

    override func setUp() { savedChunkFloats = WindowGeometry.defaultChunkFloats }

    override func tearDown() {
        WorkerPool.useThreads(1)
        WindowGeometry.defaultChunkFloats = savedChunkFloats
    }

    func testPartsCoverTheRangeOnceOnDistinctThreads() {
        let pool = WorkerPool(threads: 3)
        for count in [0, 1, 2, 5, 64, 1001] {
            var visits = [Int](repeating: 0, count: count)
            var threadOfWorker = [pthread_t](repeating: 0, count: pool.threads)
            visits.withUnsafeMutableBufferPointer { visits in
                threadOfWorker.withUnsafeMutableBufferPointer { threads in
                    pool.forEachPart(of: count) { part, worker in
                        threads[worker] = pthread_self()
                        for i in part { visits[i] += 1 }
                    }
                }
            }
            XCTAssertEqual(visits, [Int](repeating: 1, count: count), "count \(count): every index once")
            XCTAssertEqual(threadOfWorker[0], pthread_self(), "worker 0 is the caller")
            XCTAssertEqual(Set(threadOfWorker).count, pool.threads, "count \(count): one thread per worker")
            let sizes = (0..<pool.threads).map { pool.part($0, of: count).count }
            XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1)
            XCTAssertEqual(sizes.max()!, pool.largestPart(of: count))
        }
    }

    /// Conv2d (padded, chunked) → BatchNorm → LeakyReLU → ConvTranspose2d (with bias) → Tanh,
    /// over a batch of 5 (parts of 1 and 2 samples on 3 threads).
    private func run(threads: Int) -> (output: [Float], inputGradient: [Float], gradients: [Float]) {
        WorkerPool.useThreads(threads)
        WindowGeometry.defaultChunkFloats = 300   // several chunks per worker
        let conv = Conv2d(input: Shape(channels: 3, height: 8, width: 8), outChannels: 4, kernel: 4, stride: 2, padding: 1, bias: false)
        let transposed = ConvTranspose2d(input: conv.outputShape, outChannels: 2, kernel: 4, stride: 2, padding: 1)
        let network = Network(name: "threads", layers: [conv, BatchNorm(conv.outputShape), LeakyReLU(conv.outputShape),
                                                        transposed, Tanh(transposed.outputShape)],
                              batchSize: 5, scratch: ScratchSpace())
        var random = SplitMix64(seed: 90)
        random.fill(network.parameters, -0.5, 0.5)
        let input = FloatBuffer(count: network.inputShape.count * 5), weights = FloatBuffer(count: network.outputShape.count * 5)
        random.fill(input)
        random.fill(weights)
        let output = Array(UnsafeBufferPointer(start: network.forward(input.pointer, training: true), count: weights.count))
        network.zeroGradients()
        let inputGradient = network.backward(weights.pointer, accumulateParameterGradients: true, needInputGradient: true)!
        return (output, Array(UnsafeBufferPointer(start: inputGradient, count: input.count)), network.gradients.array)
    }

    func testLayersGiveTheSameResultsOnAnyThreadCount() {
        let one = run(threads: 1)
        for threads in [2, 3] {
            let many = run(threads: threads), again = run(threads: threads)
            XCTAssertEqual(many.output, one.output, "\(threads) threads: forward output")
            XCTAssertEqual(many.inputGradient, one.inputGradient, "\(threads) threads: input gradient")
            XCTAssertEqual(again.gradients, many.gradients, "\(threads) threads: parameter gradients differ between runs")
            for (i, (a, b)) in zip(many.gradients, one.gradients).enumerated() {
                XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), "\(threads) threads: parameter gradient \(i)")
            }
        }
    }

    func testAdamGivesTheSameBitsOnAnyThreadCount() {
        var random = SplitMix64(seed: 91)
        let count = 1003
        let gradients = FloatBuffer(count: count), start = FloatBuffer(count: count)
        random.fill(gradients)
        random.fill(start)
        let results = [1, 2, 3].map { threads -> [Float] in
            WorkerPool.useThreads(threads)
            let adam = Adam(parameterCount: count, learningRate: 2e-4)
            let parameters = FloatBuffer(count: count)
            parameters.copy(from: start.pointer)
            for _ in 0..<3 { adam.update(parameters: parameters.pointer, gradients: gradients.pointer) }
            return parameters.array
        }
        XCTAssertEqual(results[1], results[0])
        XCTAssertEqual(results[2], results[0])
    }
}
