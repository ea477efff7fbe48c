import CBLAS

/// Which kernels OpenBLAS runs. A DYNAMIC_ARCH build (Debian's, Ubuntu's) carries kernels for
/// many CPU families and picks one when the library loads, from the CPU's model number; a CPU
/// newer than the build is not recognised, and gets the SSE3 "Prescott" kernels, 3–5× slower.
/// OPENBLAS_CORETYPE, read at that moment, names the family instead (KernelSelection,
/// docs/performance.md#kernel-selection).
extension BLAS {
    public static let name = "OpenBLAS"

    /// The family of kernels loaded, as OpenBLAS names it ("Cooperlake", "Haswell", "Prescott").
    public static var kernels: String { String(cString: openblas_get_corename()) }

    /// The version in the build description ("0.3.21"), or the description itself.
    public static var version: String {
        let words = configuration.split(separator: " ")
        guard words.count > 1, words[0] == "OpenBLAS" else { return configuration }
        return String(words[1])
    }

    /// The vector instructions the kernels of an OpenBLAS core family use, for the x86-64
    /// families of OpenBLAS 0.3.21 (`strings` on the library lists them): nil for a name not
    /// listed here (another architecture, a newer build), which Gantry leaves alone.
    public static func vectorISA(ofKernels family: String) -> VectorISA? {
        switch family.lowercased() {
        case "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
             "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat", "unknown":
            return .baseline
        // Bulldozer's kernels use AVX with AMD's FMA4, not FMA3.
        case "sandybridge", "bulldozer": return .avx
        // AMD's later AVX families use 256-bit FMA3 kernels of their own, as fast per cycle as
        // Haswell's on those cores: not a fallback.
        case "haswell", "zen", "piledriver", "steamroller", "excavator": return .avx2FMA
        case "skylakex": return .avx512
        case "cooperlake", "sapphirerapids": return .avx512BF16
        default: return nil
        }
    }

    /// The family Gantry asks for on a CPU whose widest instructions are `isa`; nil for the
    /// baseline, which every family covers.
    public static func kernels(for isa: VectorISA) -> String? {
        switch isa {
        case .baseline: nil
        case .avx: "Sandybridge"
        case .avx2FMA: "Haswell"
        case .avx512: "SkylakeX"
        case .avx512BF16: "Cooperlake"
        }
    }
}
