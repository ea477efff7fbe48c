/// Whether Gantry should make OpenBLAS load other kernels than the ones it picked, and
/// which: the rule of docs/performance.md#kernel-selection, free of any process state so
/// that it can be tested over every CPU and family.
public enum KernelChoice: Equatable {
    /// Keep the kernels loaded, for this reason.
    case keep(Reason)
    /// Load one of these families instead, best first: the widest the CPU supports, then the
    /// narrower ones still wider than the family loaded (a build that does not know the
    /// first may know the next).
    case override([String])

    public enum Reason: Equatable {
        /// OPENBLAS_CORETYPE was set: the user's choice is never overridden.
        case userChoice
        /// GANTRY_BLAS_AUTOSELECT=0.
        case turnedOff
        /// A family Gantry does not know (another architecture, a newer OpenBLAS).
        case unknownKernels
        /// The family loaded uses the widest instructions the CPU and the OS support.
        case asWideAsTheCPU
    }

    /// - Parameters:
    ///   - cpu: what the CPU and the OS support.
    ///   - loaded: the family OpenBLAS loaded (`BLAS.kernels`).
    ///   - userCoreType: OPENBLAS_CORETYPE as the user set it, or nil (empty counts as unset,
    ///     as OpenBLAS reads it).
    ///   - autoselect: false for GANTRY_BLAS_AUTOSELECT=0.
    public static func decide(cpu: CPUFeatures, loaded: String, userCoreType: String?, autoselect: Bool) -> KernelChoice {
        if let userCoreType, !userCoreType.isEmpty { return .keep(.userChoice) }
        guard autoselect else { return .keep(.turnedOff) }
        guard let loadedISA = BLAS.vectorISA(ofKernels: loaded) else { return .keep(.unknownKernels) }
        let wider = VectorISA.allCases.reversed().filter { $0 > loadedISA && $0 <= cpu.vectorISA }
        let families = wider.compactMap { BLAS.kernels(for: $0) }
        return families.isEmpty ? .keep(.asWideAsTheCPU) : .override(families)
    }
}
