import ArgumentParser
import Glibc
import GantryNN
import GantryTrain

/// `gantry blas-check FAMILY` (not listed in the help): the self-check KernelSelection runs in
/// a child process, with OPENBLAS_CORETYPE=FAMILY, before it selects that family. Run by
/// hand, it says what it found.
struct BLASCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blas-check",
        abstract: "Check that OpenBLAS loaded the given family of kernels and that its sgemm agrees with a reference.",
        discussion: """
        Exits 0 when it does, \(KernelSelection.CheckStatus.wrongResults.rawValue) when sgemm differs from a plain \
        triple loop, \(KernelSelection.CheckStatus.otherKernelsLoaded.rawValue) when OpenBLAS loaded another family \
        (set OPENBLAS_CORETYPE=FAMILY to ask for it).
        """,
        shouldDisplay: false)

    @Argument(help: "The family of kernels expected, as OpenBLAS names it (e.g. Haswell, SkylakeX).")
    var kernels: String

    func run() throws {
        guard BLAS.kernels.lowercased() == kernels.lowercased() else {
            print("OpenBLAS loaded its \(BLAS.kernels) kernels, not \(kernels)")
            fflush(stdout)
            Glibc.exit(KernelSelection.CheckStatus.otherKernelsLoaded.rawValue)
        }
        if let disagreement = SGEMMSelfCheck.firstDisagreement() {
            print("\(BLAS.kernels) kernels: \(disagreement)")
            fflush(stdout)
            Glibc.exit(KernelSelection.CheckStatus.wrongResults.rawValue)
        }
        print("\(BLAS.kernels) kernels: sgemm agrees with the reference on \(SGEMMSelfCheck.cases.count) shapes")
    }
}
