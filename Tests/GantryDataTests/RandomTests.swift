import GantryData
import XCTest

final class RandomTests: XCTestCase {
    /// Random123's kat_vectors for philox4x32_10.
    func testPhiloxKnownAnswers() {
        let cases: [(SIMD4<UInt32>, SIMD2<UInt32>, SIMD4<UInt32>)] = [
            (SIMD4(0, 0, 0, 0), SIMD2(0, 0), SIMD4(0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8)),
            (SIMD4(repeating: 0xffff_ffff), SIMD2(repeating: 0xffff_ffff),
             SIMD4(0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd)),
            (SIMD4(0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), SIMD2(0xa409_3822, 0x299f_31d0),
             SIMD4(0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1)),
        ]
        for (counter, key, expected) in cases {
            XCTAssertEqual(Philox4x32.block(counter: counter, key: key), expected, "counter \(counter) key \(key)")
        }
    }

    func testUniformIsInOpenIntervalAndStreamsDiffer() {
        let a = CounterRandom(seed: 7, stream: CounterRandom.Stream.noise)
        let b = CounterRandom(seed: 7, stream: CounterRandom.Stream.weights)
        let c = CounterRandom(seed: 8, stream: CounterRandom.Stream.noise)
        var sum: Double = 0
        for i in 0..<10_000 as Range<UInt64> {
            let u = a.uniform(at: i)
            XCTAssertTrue(u > 0 && u < 1)
            sum += Double(u)
        }
        XCTAssertEqual(sum / 10_000, 0.5, accuracy: 0.01)
        XCTAssertEqual(CounterRandom.openUnit(0), 0x1p-24)
        XCTAssertLessThan(CounterRandom.openUnit(.max), 1)
        XCTAssertNotEqual(a.block(0, 0), b.block(0, 0))
        XCTAssertNotEqual(a.block(0, 0), c.block(0, 0))
        XCTAssertEqual(a.uniform(at: 42), CounterRandom(seed: 7, stream: CounterRandom.Stream.noise).uniform(at: 42))
    }

    func testNormalMoments() {
        let random = CounterRandom(seed: 1, stream: CounterRandom.Stream.noise)
        let n = 100_000
        var values = [Float](repeating: 0, count: n)
        random.fillNormal(a: 3, b: 5, count: n, into: &values, stride: 1)
        checkMoments(values, "fillNormal")

        var sequential = SequentialRandom(seed: 1, stream: CounterRandom.Stream.weights)
        checkMoments((0..<n).map { _ in sequential.normal() }, "SequentialRandom.normal")
        checkMoments((0..<n).map { random.normal(at: UInt64($0)) }, "normal(at:)")
    }

    private func checkMoments(_ values: [Float], _ what: String) {
        let n = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        // Standard errors at n = 100k: mean 0.003, variance 0.0045.
        XCTAssertEqual(mean, 0, accuracy: 0.015, what)
        XCTAssertEqual(variance, 1, accuracy: 0.025, what)
        XCTAssertTrue(values.allSatisfy(\.isFinite), what)
    }

    /// World-size invariance: sample b's noise is the same whatever the stride (batch size)
    /// and whichever other samples are filled alongside it.
    func testFillNormalIsIndependentOfStrideAndNeighbours() {
        let random = CounterRandom(seed: 99, stream: CounterRandom.Stream.noise)
        let dims = 7, step: UInt64 = 12
        // One rank with all 64 samples, channel-major: element d of sample j at d·64 + j.
        var whole = [Float](repeating: .nan, count: dims * 64)
        whole.withUnsafeMutableBufferPointer { p in
            for j in 0..<64 {
                random.fillNormal(a: step, b: UInt64(j), count: dims, into: p.baseAddress! + j, stride: 64)
            }
        }
        // Two ranks with 32 each.
        for rank in 0..<2 {
            var part = [Float](repeating: .nan, count: dims * 32)
            part.withUnsafeMutableBufferPointer { p in
                for j in 0..<32 {
                    random.fillNormal(a: step, b: UInt64(rank * 32 + j), count: dims, into: p.baseAddress! + j, stride: 32)
                }
            }
            for d in 0..<dims {
                for j in 0..<32 {
                    XCTAssertEqual(part[d * 32 + j], whole[d * 64 + rank * 32 + j], "rank \(rank) d \(d) j \(j)")
                }
            }
        }
        // A contiguous fill of one sample agrees too, and a shorter fill is a prefix.
        var single = [Float](repeating: 0, count: dims)
        random.fillNormal(a: step, b: 5, count: dims, into: &single, stride: 1)
        XCTAssertEqual(single, (0..<dims).map { whole[$0 * 64 + 5] })
        var prefix = [Float](repeating: 0, count: 3)
        random.fillNormal(a: step, b: 5, count: 3, into: &prefix, stride: 1)
        XCTAssertEqual(prefix, Array(single[0..<3]))
        // Different steps and samples get different noise.
        var other = [Float](repeating: 0, count: dims)
        random.fillNormal(a: step + 1, b: 5, count: dims, into: &other, stride: 1)
        XCTAssertNotEqual(single, other)
        XCTAssertNotEqual(single, (0..<dims).map { whole[$0 * 64 + 6] })
    }

    func testSequentialIntBelowIsInRangeAndRoughlyUniform() {
        var random = SequentialRandom(seed: 3, stream: CounterRandom.Stream.permutation)
        var histogram = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 {
            let k = random.int(below: 6)
            XCTAssertTrue((0..<6).contains(k))
            histogram[k] += 1
        }
        for bucket in histogram { XCTAssertEqual(Double(bucket), 10_000, accuracy: 400) }
        XCTAssertEqual(random.int(below: 1), 0)
        // Same seed, stream and substream: same sequence.
        var a = SequentialRandom(seed: 3, stream: 9, substream: 4)
        var b = SequentialRandom(seed: 3, stream: 9, substream: 4)
        var c = SequentialRandom(seed: 3, stream: 9, substream: 5)
        let sa = (0..<10).map { _ in a.next() }
        XCTAssertEqual(sa, (0..<10).map { _ in b.next() })
        XCTAssertNotEqual(sa, (0..<10).map { _ in c.next() })
    }
}
