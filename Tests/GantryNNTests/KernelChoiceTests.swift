import XCTest
import Foundation
@testable import GantryNN

/// The choice of BLAS kernels (KernelChoice) over a table of CPUs × the families OpenBLAS
/// reports, the CPU's features as cpuid reads them, and the sgemm self-check.
final class KernelChoiceTests: XCTestCase {
    static let avx512: Set<CPUFeatures.Flag> = [.avx, .fma, .avx2, .avx512f, .avx512bw, .avx512dq, .avx512vl]
    /// CPUs by their features, with the widest instructions each can use.
    let cpus: [(name: String, cpu: CPUFeatures, isa: VectorISA)] = [
        ("Cooper Lake / Zen 4", CPUFeatures(flags: avx512.union([.avx512bf16]), registerState: .avx512), .avx512BF16),
        ("Skylake-X", CPUFeatures(flags: avx512, registerState: .avx512), .avx512),
        ("AVX-512 CPU, OS without ZMM state", CPUFeatures(flags: avx512.union([.avx512bf16]), registerState: .avx), .avx2FMA),
        ("Xeon Phi (F without BW, DQ, VL)", CPUFeatures(flags: [.avx, .fma, .avx2, .avx512f], registerState: .avx512), .avx2FMA),
        ("Haswell", CPUFeatures(flags: [.avx, .fma, .avx2], registerState: .avx), .avx2FMA),
        ("AVX2 without FMA", CPUFeatures(flags: [.avx, .avx2], registerState: .avx), .avx),
        ("Sandy Bridge", CPUFeatures(flags: [.avx], registerState: .avx), .avx),
        ("Sandy Bridge, OS without YMM state", CPUFeatures(flags: [.avx], registerState: .legacy), .baseline),
        ("Nehalem", CPUFeatures(flags: [], registerState: .legacy), .baseline),
    ]

    func testWidestInstructionsNeedTheCPUAndTheOS() {
        for (name, cpu, isa) in cpus { XCTAssertEqual(cpu.vectorISA, isa, name) }
    }

    /// Every CPU × every family OpenBLAS 0.3.21 reports: an override exactly when the family
    /// is narrower than the CPU, to the widest family the CPU supports first.
    func testOverrideOnlyWhenTheFamilyIsNarrower() {
        let families = ["Prescott", "Core2", "Nehalem", "Barcelona", "Sandybridge", "Bulldozer", "Haswell", "Zen",
                        "Excavator", "SkylakeX", "Cooperlake"]
        let expected: [VectorISA: [String]] = [
            .avx512BF16: ["Cooperlake", "SkylakeX", "Haswell", "Sandybridge"],
            .avx512: ["SkylakeX", "Haswell", "Sandybridge"],
            .avx2FMA: ["Haswell", "Sandybridge"],
            .avx: ["Sandybridge"],
            .baseline: [],
        ]
        for (name, cpu, isa) in cpus {
            for family in families {
                let choice = KernelChoice.decide(cpu: cpu, loaded: family, userCoreType: nil, autoselect: true)
                let loaded = BLAS.vectorISA(ofKernels: family)!
                let wanted = expected[isa]!.filter { BLAS.vectorISA(ofKernels: $0)! > loaded }
                XCTAssertEqual(choice, wanted.isEmpty ? .keep(.asWideAsTheCPU) : .override(wanted), "\(name), \(family)")
            }
        }
        // The case of issue #11: a new Xeon that OpenBLAS 0.3.21 does not know gets Prescott.
        XCTAssertEqual(KernelChoice.decide(cpu: cpus[0].cpu, loaded: "Prescott", userCoreType: nil, autoselect: true),
                       .override(["Cooperlake", "SkylakeX", "Haswell", "Sandybridge"]))
    }

    func testTheUserAndTheSwitchWin() {
        let sapphireRapids = cpus[0].cpu
        XCTAssertEqual(KernelChoice.decide(cpu: sapphireRapids, loaded: "Prescott", userCoreType: "Prescott", autoselect: true),
                       .keep(.userChoice))
        XCTAssertEqual(KernelChoice.decide(cpu: sapphireRapids, loaded: "Haswell", userCoreType: "Haswell", autoselect: false),
                       .keep(.userChoice))
        XCTAssertEqual(KernelChoice.decide(cpu: sapphireRapids, loaded: "Prescott", userCoreType: nil, autoselect: false),
                       .keep(.turnedOff))
        // OpenBLAS ignores an empty OPENBLAS_CORETYPE, and so does the choice.
        XCTAssertEqual(KernelChoice.decide(cpu: sapphireRapids, loaded: "Prescott", userCoreType: "", autoselect: true),
                       .override(["Cooperlake", "SkylakeX", "Haswell", "Sandybridge"]))
        // Families Gantry does not know (ARM's, a newer build's) are left alone.
        for family in ["NEOVERSEN1", "armv8", "Emeraldrapids"] {
            XCTAssertEqual(KernelChoice.decide(cpu: sapphireRapids, loaded: family, userCoreType: nil, autoselect: true),
                           .keep(.unknownKernels), family)
        }
    }

    /// Every family Gantry asks for is one that OpenBLAS names the same way back.
    func testSelectedFamiliesMapBackToTheirInstructions() {
        for isa in VectorISA.allCases {
            guard let family = BLAS.kernels(for: isa) else { XCTAssertEqual(isa, .baseline); continue }
            XCTAssertEqual(BLAS.vectorISA(ofKernels: family), isa, family)
        }
    }

    /// cpuid and xgetbv against the kernel's own view in /proc/cpuinfo (whose flags Linux
    /// clears when it does not save the registers).
    func testFeaturesAgreeWithProcCPUInfo() throws {
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let firstCPU = text.components(separatedBy: "\n\n")[0]
        func field(_ name: String) -> String? {
            firstCPU.split(separator: "\n").first { $0.hasPrefix(name) }
                .flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        #if arch(x86_64)
        let flags = Set((field("flags") ?? "").split(separator: " ").map(String.init))
        let names: [CPUFeatures.Flag: String] = [.avx: "avx", .fma: "fma", .avx2: "avx2", .avx512f: "avx512f",
                                                .avx512bw: "avx512bw", .avx512dq: "avx512dq", .avx512vl: "avx512vl",
                                                .avx512bf16: "avx512_bf16"]
        let current = CPUFeatures.current
        for (flag, name) in names {
            XCTAssertEqual(current.flags.contains(flag), flags.contains(name), "\(flag) by cpuid, \(name) in /proc/cpuinfo")
        }
        XCTAssertEqual(current.brand, field("model name"))
        print("CPU: \(current.brand), \(current.vectorISA.name); OpenBLAS \(BLAS.version) loaded \(BLAS.kernels)")
        #else
        throw XCTSkip("cpuid is x86-64's")
        #endif
    }

    func testSGEMMAgreesWithTheReferenceOnAwkwardShapes() {
        XCTAssertNil(SGEMMSelfCheck.firstDisagreement())
        for check in SGEMMSelfCheck.cases {
            let error = SGEMMSelfCheck.relativeError(check)
            XCTAssertTrue(error <= 1, "\(check): \(error)")
        }
    }

    /// The bound is tight enough to see a single product missing from a sum of 257: a
    /// kernel that mishandled one step of k would be caught.
    func testTheRoundingBoundCatchesOneMissingProduct() {
        let a = SGEMMSelfCheck.values(count: 257, salt: 1), b = SGEMMSelfCheck.values(count: 257, salt: 2)
        let products = zip(a, b).map { abs(Double($0) * Double($1)) }.sorted()
        let bound = 4 * Double(257 + 2) * 0x1p-24 * products.reduce(0, +)
        XCTAssertGreaterThan(products[128], bound, "a dropped median product must exceed the bound")
    }
}
