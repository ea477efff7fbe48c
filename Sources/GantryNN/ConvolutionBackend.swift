import COneDNN

/// Which code runs the convolutions (`gantry train --conv-backend`): Gantry's own im2col +
/// sgemm (`gantry`), or oneDNN's direct convolutions (`onednn`), which on AVX-512 and AVX2
/// CPUs run in blocked channel layouts near the FMA peak and skip the zero padding that
/// im2col multiplies (docs/performance.md#onednn-as-the-convolution-backend).
///
/// With `onednn` a Conv2d or ConvTranspose2d uses oneDNN when it has at least
/// `OneDNNConvolution.minimumChannels` input and output channels and oneDNN has an optimised
/// kernel for its shape on this CPU; the others (dcgan's one-channel image layers, the 1×1
/// noise layer) keep Gantry's own code, which is also the reference the gradient tests
/// compare oneDNN with.
public enum ConvolutionBackend: String, CaseIterable, Sendable {
    case gantry, onednn

    /// The backend layers take when built (see `use`).
    public nonisolated(unsafe) private(set) static var current = ConvolutionBackend.gantry

    /// Makes layers built from now on use `backend`; like `WorkerPool.useThreads`, call it
    /// before building networks.
    public static func use(_ backend: ConvolutionBackend) { current = backend }

    /// Runs `build` with `backend` for the layers built in it, then restores the backend
    /// before: for networks that must not depend on a run's `--conv-backend`.
    public static func using<Result>(_ backend: ConvolutionBackend, _ build: () throws -> Result) rethrows -> Result {
        let before = current
        current = backend
        defer { current = before }
        return try build()
    }

    /// The version of the oneDNN Gantry runs with, e.g. "2.6.3".
    public static var oneDNNVersion: String {
        var text = [CChar](repeating: 0, count: 32)
        gantry_onednn_version(&text, text.count)
        return String(cString: text)
    }

    /// Which code runs the convolutions of `networks`, for reports: "oneDNN 2.6.3 for 4 of
    /// 8 convolutions (the others: Gantry's im2col + sgemm)".
    public static func describe(_ networks: [Network]) -> String {
        let convolutions = networks.flatMap { $0.layers.compactMap { $0 as? ConvolutionLayer } }
        let onOneDNN = convolutions.filter { $0.onednn != nil }.count
        if convolutions.isEmpty { return "none" }
        if onOneDNN == 0 { return "Gantry's im2col + sgemm for all \(convolutions.count)" }
        return "oneDNN \(oneDNNVersion) for \(onOneDNN) of \(convolutions.count)"
            + (onOneDNN < convolutions.count ? " (the others: Gantry's im2col + sgemm)" : "")
    }
}
