import GantryNN

/// The BLAS a command computes with, its kernels and who chose them: config.json's "blas",
/// gantry train's start-up line, gantry bench step's report.
public struct BLASDescription: Codable, Equatable {
    public var name: String
    public var version: String
    /// The family of kernels loaded, as OpenBLAS names it ("Cooperlake").
    public var kernels: String
    /// "openblas", "gantry", "OPENBLAS_CORETYPE" (KernelSelection.chosenBy).
    public var chosenBy: String
    /// When Gantry chose: the family OpenBLAS had picked.
    public var replaced: String?

    public static var current: BLASDescription {
        let chosen = KernelSelection.chosenBy()
        return BLASDescription(name: BLAS.name, version: BLAS.version, kernels: BLAS.kernels,
                               chosenBy: chosen.by, replaced: chosen.replaced)
    }

    /// "OpenBLAS 0.3.21, Cooperlake kernels (selected by Gantry; OpenBLAS picked Prescott)".
    public var summary: String {
        let how = switch chosenBy {
        case "gantry": "selected by Gantry; OpenBLAS picked \(replaced ?? "?")"
        case "openblas": "OpenBLAS's choice"
        default: "set by \(chosenBy)"
        }
        return "\(name) \(version), \(kernels) kernels (\(how))"
    }
}

/// The CPU a command ran on: config.json's "cpu", gantry bench step's report.
public struct CPUDescription: Codable, Equatable {
    /// The brand string, e.g. "AMD EPYC 9R14 96-Core Processor".
    public var model: String
    /// The widest vector instructions the CPU and the OS support (VectorISA.name).
    public var isa: String

    public static var current: CPUDescription {
        let cpu = CPUFeatures.current
        return CPUDescription(model: cpu.brand.isEmpty ? "unknown" : cpu.brand, isa: cpu.vectorISA.name)
    }

    /// gantry train's start-up line: "BLAS: OpenBLAS 0.3.21, Cooperlake kernels (OpenBLAS's
    /// choice) on AMD EPYC (avx512+bf16)".
    public static func startupLine(blas: BLASDescription = .current, cpu: CPUDescription = .current) -> String {
        "BLAS: \(blas.summary) on \(cpu.model) (\(cpu.isa))"
    }
}
