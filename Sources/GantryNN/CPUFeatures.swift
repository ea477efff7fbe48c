import CPUInfo

/// The vector instructions this CPU executes, as its feature bits (cpuid) and the register
/// state the OS saves (xgetbv) say, never its model number: a CPU newer than any table is
/// still known by what it can do. The one Swift view of the CPUInfo C target.
public struct CPUFeatures: Equatable {
    public enum Flag: String, CaseIterable {
        case avx, fma, avx2, avx512f, avx512bw, avx512dq, avx512vl, avx512bf16
    }

    /// The register state the OS saves on a context switch: an instruction set is usable only
    /// when its registers survive one.
    public enum RegisterState: Int, Comparable {
        case legacy       // XMM at most
        case avx          // XMM and YMM
        case avx512       // and the opmask and upper ZMM registers

        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    public var flags: Set<Flag>
    public var registerState: RegisterState
    /// The brand string, e.g. "AMD EPYC 9R14 96-Core Processor"; "" when the CPU has none.
    public var brand: String

    public init(flags: Set<Flag>, registerState: RegisterState, brand: String = "") {
        self.flags = flags
        self.registerState = registerState
        self.brand = brand
    }

    /// This machine's CPU, asked once.
    public static let current: CPUFeatures = {
        var bits = gantry_cpu_features()
        gantry_cpu_features(&bits)
        let named: [(Flag, Bool)] = [(.avx, bits.avx), (.fma, bits.fma), (.avx2, bits.avx2), (.avx512f, bits.avx512f),
                                     (.avx512bw, bits.avx512bw), (.avx512dq, bits.avx512dq), (.avx512vl, bits.avx512vl),
                                     (.avx512bf16, bits.avx512bf16)]
        var brand = [CChar](repeating: 0, count: 49)
        gantry_cpu_brand(&brand, brand.count)
        let state: RegisterState = bits.os_avx512_state ? .avx512 : bits.os_avx_state ? .avx : .legacy
        return CPUFeatures(flags: Set(named.filter { $0.1 }.map { $0.0 }), registerState: state,
                           brand: String(decoding: brand.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }()

    /// The widest instruction set both the CPU and the OS support.
    public var vectorISA: VectorISA {
        let avx512 = flags.isSuperset(of: [.avx512f, .avx512bw, .avx512dq, .avx512vl]) && registerState >= .avx512
        if avx512 && flags.contains(.avx512bf16) { return .avx512BF16 }
        if avx512 { return .avx512 }
        if flags.isSuperset(of: [.avx2, .fma, .avx]) && registerState >= .avx { return .avx2FMA }
        if flags.contains(.avx) && registerState >= .avx { return .avx }
        return .baseline
    }
}

/// The levels of vector instructions that matter to sgemm, narrowest first: the BLAS's
/// kernel families are built for one each (BLASKernelFamily).
public enum VectorISA: Int, Comparable, CaseIterable {
    /// 128-bit vectors: SSE2 on x86-64 (every x86-64 CPU), NEON elsewhere.
    case baseline
    /// 256-bit vectors, multiply and add apart (Sandy Bridge, Ivy Bridge).
    case avx
    /// 256-bit fused multiply-add (Haswell and later, Zen).
    case avx2FMA
    /// 512-bit: AVX-512 F, BW, DQ and VL (Skylake-X and later, Zen 4).
    case avx512
    /// AVX-512 with the bfloat16 dot products (Cooper Lake, Sapphire Rapids, Zen 4).
    case avx512BF16

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// The name recorded in config.json and reports.
    public var name: String {
        switch self {
        case .baseline: "baseline"
        case .avx: "avx"
        case .avx2FMA: "avx2+fma"
        case .avx512: "avx512"
        case .avx512BF16: "avx512+bf16"
        }
    }

    /// The multiply-add loop at this instruction set (bfloat16 adds nothing to float
    /// throughput: AVX-512's loop): its FLOPs after `iterations` rounds. Only for an
    /// instruction set the CPU supports (`CPUFeatures.vectorISA` or narrower).
    public func multiplyAddLoop(iterations: Int) -> Double {
        let isa: gantry_vector_isa
        switch self {
        case .baseline: isa = GANTRY_ISA_BASELINE
        case .avx: isa = GANTRY_ISA_AVX
        case .avx2FMA: isa = GANTRY_ISA_AVX2_FMA
        case .avx512, .avx512BF16: isa = GANTRY_ISA_AVX512
        }
        return gantry_multiply_add_loop(isa, Int64(iterations))
    }
}
