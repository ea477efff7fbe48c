import XCTest
import Foundation
@testable import GantryTrain
import GantryMPI

/// `--compress fp16`: the half-precision kernels round as IEEE 754 says, and a compressed
/// run reduces the same way whatever organises the allreduce, staying close to (but not
/// equal to) the float run.
final class GradientCompressionTests: XCTestCase {
    func testEncodingRoundsToNearestEvenAndDecodingIsExact() {
        let floats: [Float] = [1, -2, 0.1, 65504, 65520, 70000, 1e-8, 3e-8, 2049, 2051, 6.0e-8, .infinity]
        // 65520 is halfway to the next power, so it rounds up to infinity; 3e-8 rounds to the
        // smallest subnormal (5.96e-8), 1e-8 to zero; 2049 and 2051 are ties between halves
        // 2 apart and go to the even neighbour.
        let expected: [UInt16] = [0x3C00, 0xC000, 0x2E66, 0x7BFF, 0x7C00, 0x7C00, 0x0000, 0x0001, 0x6800, 0x6802, 0x0001, 0x7C00]
        var halves = [UInt16](repeating: 0, count: floats.count)
        HalfPrecision.encode(floats, into: &halves, count: floats.count)
        XCTAssertEqual(halves.map { String($0, radix: 16) }, expected.map { String($0, radix: 16) })

        // Every finite half decodes to a float that encodes back to the same half.
        let all = (0...UInt16.max).filter { $0 & 0x7C00 != 0x7C00 }
        var decoded = [Float](repeating: 0, count: all.count)
        HalfPrecision.decode(all, into: &decoded, count: all.count)
        var again = [UInt16](repeating: 0, count: all.count)
        HalfPrecision.encode(decoded, into: &again, count: all.count)
        XCTAssertEqual(again, all)
        XCTAssertEqual(decoded[Int(0x3555)], 0.33325195, accuracy: 0)
    }

    func testTheReductionAddsInFloatAndRoundsOnce() {
        let a: [Float] = [1, 2048, 0.1, 60000, -3]
        let b: [Float] = [1, 1, 0.2, 10000, 3]
        var halvesA = [UInt16](repeating: 0, count: a.count), sums = [UInt16](repeating: 0, count: a.count)
        HalfPrecision.encode(a, into: &halvesA, count: a.count)
        HalfPrecision.encode(b, into: &sums, count: b.count)
        HalfPrecision.add(halvesA, into: &sums, count: a.count)
        var result = [Float](repeating: 0, count: a.count)
        HalfPrecision.decode(sums, into: &result, count: a.count)
        // 2048 + 1 is a tie and rounds to even (2048); 0.1 + 0.2 in halves is 0.2998;
        // 70000 overflows to infinity; 3 - 3 is exactly 0.
        XCTAssertEqual(result[0], 2)
        XCTAssertEqual(result[1], 2048)
        XCTAssertEqual(result[2], 0.2998047, accuracy: 1e-7)
        XCTAssertEqual(result[3], .infinity)
        XCTAssertEqual(result[4], 0)
    }

    /// On 2 ranks each element's reduction is one half addition whichever way the allreduce
    /// is organised, so fused and bucketed agree to the bit; and the
    /// compressed run differs from the float one, by little.
    func testCompressedRunsAgreeAcrossModesAndStayCloseToFloat() throws {
        let root = try temporaryDirectory("fp16")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var checkpoints: [String: Checkpoint] = [:]
        for (name, flags) in [("float", ["--compress", "none"]),
                              ("fused", ["--compress", "fp16"]),
                              ("bucketed", ["--compress", "fp16", "--allreduce", "bucketed", "--bucket-mb", "0.3"])] {
            let run = "\(root)/\(name)"
            let outcome = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "dcgan28", "--batch", "16", "--steps", "6",
                                                              "--out", run] + flags)
            XCTAssertEqual(outcome.status, 0, outcome.output)
            checkpoints[name] = try Checkpoint.load(run + "/checkpoints/step-000006.gckpt")
        }
        let float = try XCTUnwrap(checkpoints["float"]), fused = try XCTUnwrap(checkpoints["fused"])
        for name in ["bucketed"] {
            let other = try XCTUnwrap(checkpoints[name])
            XCTAssertEqual(fused.generator.parameters, other.generator.parameters, "G: fused fp16 vs \(name) fp16")
            XCTAssertEqual(fused.discriminator.parameters, other.discriminator.parameters, "D: fused fp16 vs \(name) fp16")
        }
        for (network, a, b) in [("G", float.generator.parameters, fused.generator.parameters),
                                ("D", float.discriminator.parameters, fused.discriminator.parameters)] {
            let difference = relativeL2(a, b)
            print("\(network): fp16 vs float gradients, relative L2 difference of the parameters after 6 steps: \(difference)")
            XCTAssertGreaterThan(difference, 0, "\(network): compression changed nothing; were halves sent?")
            XCTAssertLessThan(difference, 1e-2, "\(network): fp16 drifted far from the float run")
        }
    }
}
