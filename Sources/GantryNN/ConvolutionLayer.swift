/// The base of Conv2d and its adjoint ConvTranspose2d: everything `Layer` asks of them but
/// forward and backward, which each subclass adds along with its shape rule (in its
/// initialiser). Both store `Cin·Cout·k²` weights (each in its own order) then the bias, use
/// a column matrix in the shared workspace and run over one window geometry, which also
/// holds their kernel, stride and padding. A base class rather than a value both hold, since
/// most of this is `Layer`'s plumbing, which a value could give them only through a
/// forwarding member per requirement in each layer.
public class ConvolutionLayer {
    public let inputShape: Shape
    public let outputShape: Shape
    public let hasBias: Bool
    /// The windows im2col and col2im run over.
    let geometry: WindowGeometry
    var weight: UnsafeMutablePointer<Float>!
    var weightGradient: UnsafeMutablePointer<Float>!
    /// The threads forward and backward split the batch over (the shared pool when built).
    let workers: WorkerPool
    /// oneDNN's version of this layer, when the backend is oneDNN and it takes the shape
    /// (ConvolutionBackend); nil runs Gantry's im2col + sgemm.
    let onednn: OneDNNConvolution?
    /// The workspace: one column matrix chunk (or oneDNN arena) per worker, then one
    /// weight-gradient buffer per worker but the first (see `weightGradient(worker:batch:)`).
    var workspace: UnsafeMutablePointer<Float>!

    /// Checks the arguments common to both layers; a subclass calls it first, as its shape
    /// rule and the geometry (which divides by the stride) assume them.
    static func validate(_ layer: String, input: Shape, outChannels: Int, kernel: Int, stride: Int, padding: Int) {
        precondition(input.channels > 0 && outChannels > 0,
                     "\(layer): channel counts must be positive (got \(input.channels)→\(outChannels))")
        precondition(kernel > 0, "\(layer): kernel must be positive (got \(kernel))")
        precondition(stride > 0, "\(layer): stride must be positive (got \(stride))")
        precondition(padding >= 0, "\(layer): padding must be non-negative (got \(padding))")
    }

    init(input: Shape, output: Shape, bias: Bool, geometry: WindowGeometry, workers: WorkerPool, transposed: Bool) {
        inputShape = input
        outputShape = output
        hasBias = bias
        self.geometry = geometry
        self.workers = workers
        onednn = ConvolutionBackend.current == .onednn
            ? OneDNNConvolution(transposed: transposed, input: input, output: output,
                                kernel: geometry.kernel, stride: geometry.stride, padding: geometry.padding, workers: workers)
            : nil
    }

    public var inChannels: Int { inputShape.channels }
    public var outChannels: Int { outputShape.channels }
    public var kernel: Int { geometry.kernel }
    public var stride: Int { geometry.stride }
    public var padding: Int { geometry.padding }

    var weightCount: Int { inChannels * outChannels * kernel * kernel }

    public var parameterCount: Int { weightCount + (hasBias ? outChannels : 0) }
    /// The fan-in recorded for initialisation is a row count of the column matrix: `Cin·k·k`
    /// for Conv2d, the inputs of one output pixel. For ConvTranspose2d it is `Cout·k·k`
    /// (PyTorch's choice for transposed convolutions, from the weight's second dimension), not
    /// the number of inputs that actually reach one output pixel, which varies with its position.
    public var parameterTensors: [ParameterTensor] {
        ParameterTensor.weightAndBias(weightCount: weightCount, outputs: outChannels, hasBias: hasBias, fanIn: geometry.columnRows)
    }
    public func workspaceCount(batch: Int) -> Int {
        workers.threads * columnCount(batch: batch) + (workers.threads - 1) * weightCount
    }

    /// Floats of one worker's column matrix chunk, or of its oneDNN arena. A layer on oneDNN
    /// still runs Gantry's code for the backward of its backward (R1), in column chunks that
    /// fit the arena (at least one sample's).
    func columnCount(batch: Int) -> Int {
        guard let onednn else { return geometry.chunkCount(samples: workers.largestPart(of: batch)) }
        return max(onednn.arenaFloats(batch: batch), geometry.chunkCount(samples: 1))
    }

    /// Worker `worker`'s column matrix chunk or oneDNN arena.
    func column(worker: Int, batch: Int) -> UnsafeMutablePointer<Float> {
        workspace + worker * columnCount(batch: batch)
    }

    /// Where worker `worker` accumulates its samples' weight gradient (GEMMs with β = 1):
    /// worker 0 into the layer's gradient, the others into their own buffer, zeroed here and
    /// added by `addWorkerWeightGradients` once all are done.
    func weightGradient(worker: Int, batch: Int) -> UnsafeMutablePointer<Float> {
        guard worker > 0 else { return weightGradient }
        let own = workspace + workers.threads * columnCount(batch: batch) + (worker - 1) * weightCount
        own.update(repeating: 0, count: weightCount)
        return own
    }

    /// Adds the other workers' weight gradients into the layer's, in worker order (split
    /// over the weights, so every worker adds a part).
    func addWorkerWeightGradients(batch: Int) {
        guard workers.threads > 1 else { return }
        let own = workspace + workers.threads * columnCount(batch: batch)
        workers.forEachPart(of: weightCount) { weights, _ in
            for worker in 1..<workers.threads {
                let partial = own + (worker - 1) * weightCount
                for i in weights { weightGradient[i] += partial[i] }
            }
        }
    }
    public var summary: String {
        "\(type(of: self))(\(inChannels)→\(outChannels), k\(kernel), s\(stride), p\(padding)\(hasBias ? ", bias" : "")\(onednn == nil ? "" : ", oneDNN"))"
    }
    /// Every weight meets every window position once: Conv2d's output pixels, ConvTranspose2d's
    /// input pixels.
    public var forwardMultiplyAddsPerSample: Int { weightCount * geometry.outHeight * geometry.outWidth }
    /// Backward works from the input and the output gradient.
    public var backwardReadsOutput: Bool { false }

    public func bind(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>,
                     state: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) {
        weight = parameters
        weightGradient = gradients
        self.workspace = workspace
    }
}
