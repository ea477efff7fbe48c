import ArgumentParser
import GantryData
import GantryNN

/// Everything `gantry train` can be asked to do. Each setting is declared here once, and
/// everything else is derived from that declaration:
///
/// - its flag, from the Swift name (`checkEvery` is `--check-every`);
/// - its default and help, which argument-parser prints as "(default: …)";
/// - its key in config.json and in checkpoint headers, the same name in snake_case
///   (`check_every`), written and read back by `settings` and `init(settings:source:)`;
/// - the checks of its value alone, in `validate()`, which argument-parser runs after
///   parsing (exit 64). Checks against the world size and the dataset are TrainingPlan's.
///
/// Numbers are parsed `.unconditional`ly, so that `--steps -5` reaches `validate()` and is
/// refused as a negative number rather than read as a missing value and a flag.
///
/// An instance always comes from parsing (`TrainingOptions.parse(...)`, or `defaults`):
/// argument-parser's property wrappers hold no value before that.
public struct TrainingOptions: ParsableArguments {
    /// The batch per rank and the length of a run when no flag sets them.
    public static let defaultBatch = 64
    public static let defaultSteps = 1000

    @Option(help: "Model: \(ModelKind.names).")
    public var model = "dcgan28"

    @Option(help: "Dataset (docs/data.md): ring8, grid25, glyphs (built in), idx:FILE_OR_DIR (MNIST-format images, raw or .gz, labelled when the labels file is beside them), color32:SPEC (3x32x32 colour version of glyphs or idx:…, for dcgan32), or cifar10:DIR (CIFAR-10's binary training batches, 3x32x32, for dcgan32).")
    public var data = "glyphs"

    @Option(parsing: .unconditional, help: "Training iterations (one iteration = --d-steps D steps and one G step); \(defaultSteps) when neither --steps nor --epochs is given.")
    public var steps: Int?

    @Option(parsing: .unconditional, help: "Train for this many passes over the dataset instead of --steps.")
    public var epochs: Int?

    @Option(parsing: .unconditional, help: "Samples per rank in each batch; \(defaultBatch) when neither --batch nor --global-batch is given.")
    public var batch: Int?

    @Option(parsing: .unconditional, help: "Samples per global batch, divided evenly across the ranks.")
    public var globalBatch: Int?

    @Option(parsing: .unconditional, help: "Generator learning rate (Adam).")
    public var lrG: Float = 2e-4

    @Option(parsing: .unconditional, help: "Discriminator learning rate (Adam).")
    public var lrD: Float = 2e-4

    @Option(parsing: .unconditional, help: "Adam β1.")
    public var beta1: Float = 0.5

    @Option(parsing: .unconditional, help: "Adam β2.")
    public var beta2: Float = 0.999

    @Option(parsing: .unconditional, help: "Discriminator steps per generator step (K).")
    public var dSteps = 1

    @Option(help: "Generator loss: non-saturating (-log D(G(z))) or minimax (log(1 - D(G(z)))).")
    public var gLoss = GeneratorLoss.nonSaturating

    @Option(parsing: .unconditional, help: "Seed for initialisation, data order and noise.")
    public var seed: UInt64 = 1

    @Option(help: "Run directory for config, metrics, samples and checkpoints; a new run refuses one that holds a run. Without it: runs/MODEL-DATA-TIME.")
    public var out: String?

    @Option(parsing: .unconditional, help: "Steps between metrics lines.")
    public var logEvery = 50

    @Option(parsing: .unconditional, help: "Steps between sample grids.")
    public var sampleEvery = 500

    @Option(parsing: .unconditional, help: "Steps between checkpoints (one is always written at the end).")
    public var checkpointEvery = 1000

    @Option(parsing: .unconditional, help: "Checkpoints to keep, the newest ones; 0 keeps all.")
    public var keep = 0

    @Option(parsing: .unconditional, help: "Also keep every checkpoint whose step is a multiple of this.")
    public var keepEvery: Int?

    @Option(parsing: .unconditional, help: "Steps between replica checks (parameter checksums compared across ranks).")
    public var checkEvery = 100

    @Option(help: "Non-finite losses or gradients: stop (the last good checkpoint stays the newest) or skip-step (skip that update and count it).")
    public var onNan = NonFinitePolicy.stop

    @Option(parsing: .unconditional, help: "Threads per rank: every layer splits its work over them (convolutions over the batch, each thread running single-threaded GEMMs on its samples).")
    public var threads = 1

    @Option(help: "Convolutions: onednn (oneDNN's direct convolutions, for the layers it has an optimised kernel for on this CPU) or gantry (Gantry's own im2col + sgemm, the reference the tests compare with).")
    public var convBackend = ConvolutionBackend.onednn

    @Flag(inversion: .prefixedNo,
          help: "SyncBatchNorm: normalise with the statistics of the global batch, so k ranks follow the trajectory of one.")
    public var syncBn = false

    @Option(help: "Gradient allreduce: fused (one per network after backward) or bucketed (buckets started during backward).")
    public var allreduce = AllreduceMode.fused

    @Option(parsing: .unconditional, help: "Bucket size of --allreduce bucketed, in MB (10^6 bytes).")
    public var bucketMb = 1.0

    /// Kept only to refuse `--overlap thread` with a reason, and to read checkpoints that
    /// recorded `overlap: poll`: bucketed buckets are always progressed by polling now.
    @Option(help: .hidden)
    public var overlap: String?

    @Option(help: "Gradients on the wire: none (floats) or fp16 (IEEE halves added in float: half the bytes, about 3 significant digits).")
    public var compress = GradientCompression.none

    @Option(parsing: .unconditional, help: "Seconds a rank may stay in one phase of a step before it warns that it makes no progress (never less than \(Int(StallThreshold.typicalStepMultiple)) median steps); 0: no warning.")
    public var stallWarn = 60

    @Option(parsing: .unconditional, help: "Seconds a rank may stay in one phase of a step before the whole job is aborted (never less than \(Int(StallThreshold.typicalStepMultiple)) median steps); 0: never.")
    public var stallTimeout = 600

    // MARK: - Stabilisers: the R1 gradient penalty and D's normalisation (docs/stabilisers.md)

    @Option(parsing: .unconditional, help: "R1 gradient penalty GAMMA: (GAMMA/2)·E‖∇ₓD(x)‖² over real data, added to D's loss; 0: off. Needs a D without BatchNorm (--d-norm none for dcgan models).")
    public var r1 = 0.0

    @Option(parsing: .unconditional, help: "Lazy R1: apply the penalty on every this-many-th D step only, with GAMMA multiplied by it (StyleGAN2).")
    public var r1Every = 1

    @Option(help: "What sits between a dcgan D's convolutions: batch (BatchNorm) or none (a convolution bias instead; what --r1 needs). mlp's D has no normalisation either way.")
    public var dNorm = DiscriminatorNorm.batch

    // MARK: - Moving average of G

    @Option(parsing: .unconditional, help: "Keep an exponential moving average of G's weights with this half-life, in thousands of images (docs/ema.md); sample pictures, gantry sample, eval and export then use it (--raw-g: the trained G). 0: none.")
    public var gEmaKimg = 0.0

    // MARK: - Evaluation during training

    @Option(parsing: .unconditional, help: "Image models: steps between evaluations on rank 0 (Fréchet distance, IS analogue, class coverage, precision/recall, SWD of --eval-count samples; a record of kind \"eval\" in metrics.jsonl; the best Fréchet distance kept as checkpoints/best.gckpt; docs/evaluation.md); 0: none.")
    public var evalEvery = 0

    @Option(parsing: .unconditional, help: "Samples generated for each --eval-every evaluation.")
    public var evalCount = 2000

    // MARK: - 2-D architectures, packing, minibatch stddev (docs/quality.md)

    @Option(help: "Named settings applied before the other flags (which win): pacgan (PacGAN's 2-D networks and hyper-parameters, for --model mlp: \(presets["pacgan"]!.joined(separator: " "))).")
    public var preset: String?

    @Option(help: "Hidden widths of the mlp generator, input side first, comma-separated (128,128 when not given).")
    public var gWidths: String?

    @Option(help: "Hidden widths of the mlp discriminator, input side first, comma-separated (128,128 when not given).")
    public var dWidths: String?

    @Flag(inversion: .prefixedNo, help: "BatchNorm after each hidden Linear of the mlp generator.")
    public var gBatchNorm = false

    @Option(parsing: .unconditional, help: "Pieces per maxout unit in the hidden layers of the mlp discriminator; 1: LeakyReLU(0.2) units.")
    public var maxout = 1

    @Option(parsing: .unconditional, help: "Packing (PacGAN): D judges groups of this many consecutive samples of the global batch at once; must divide the batch per rank.")
    public var pack = 1

    @Flag(inversion: .prefixedNo, help: "Minibatch standard deviation (Karras et al.): D's last layer also sees the features' std over groups of \(Architecture.minibatchStddevGroup) consecutive (packed) samples.")
    public var mbstd = false

    // MARK: - Learning-rate decay (docs/stabilisers.md)

    @Option(help: "Decay both learning rates to 0 over the run, from the step --lr-decay-start of the way through: none, linear or cosine.")
    public var lrDecay = LearningRateDecay.none

    @Option(parsing: .unconditional, help: "Share of the steps trained at the full learning rates before --lr-decay starts, in [0, 1).")
    public var lrDecayStart = 0.5

    public init() {}

    /// Every setting at its default.
    public static var defaults: TrainingOptions {
        do { return try parse([]) } catch { preconditionFailure("the defaults of TrainingOptions do not validate: \(error)") }
    }

    public func validate() throws {
        guard ModelKind(rawValue: model) != nil else {
            throw ValidationError("unknown model '\(model)' (--model takes one of: \(ModelKind.names))")
        }
        if steps != nil && epochs != nil { throw ValidationError("--steps and --epochs were both given; give one") }
        if batch != nil && globalBatch != nil {
            throw ValidationError("--batch and --global-batch were both given; give one (--batch is per rank)")
        }
        let positive: [(String, Int?)] = [
            ("--steps", steps), ("--epochs", epochs), ("--batch", batch), ("--global-batch", globalBatch),
            ("--d-steps", dSteps), ("--log-every", logEvery), ("--sample-every", sampleEvery),
            ("--checkpoint-every", checkpointEvery), ("--check-every", checkEvery), ("--threads", threads),
            ("--keep-every", keepEvery), ("--r1-every", r1Every),
        ]
        for case let (flag, value?) in positive where value <= 0 {
            throw ValidationError("\(flag) must be positive, got \(value)")
        }
        guard keep >= 0 else { throw ValidationError("--keep must be 0 (keep all) or more, got \(keep)") }
        guard evalEvery >= 0 else { throw ValidationError("--eval-every must be 0 (no evaluation) or more, got \(evalEvery)") }
        guard evalCount > 0 else { throw ValidationError("--eval-count must be positive, got \(evalCount)") }
        for (flag, value) in [("--lr-g", lrG), ("--lr-d", lrD)] where !(value > 0 && value.isFinite) {
            throw ValidationError("\(flag) must be a positive learning rate, got \(value)")
        }
        for (flag, value) in [("--beta1", beta1), ("--beta2", beta2)] where !(value >= 0 && value < 1) {
            throw ValidationError("\(flag) must be in [0, 1), got \(value)")
        }
        if let overlap, overlap != "poll" {
            throw ValidationError("--overlap \(overlap) was removed: --allreduce bucketed always overlaps backward by polling, which measured as fast (docs/scaling.md); drop the flag")
        }
        for (flag, value) in [("--stall-warn", stallWarn), ("--stall-timeout", stallTimeout)] where value < 0 {
            throw ValidationError("\(flag) must be 0 (off) or more seconds, got \(value)")
        }
        if stallTimeout > 0 && stallWarn > stallTimeout {
            throw ValidationError("--stall-warn \(stallWarn) is longer than --stall-timeout \(stallTimeout): the job would be aborted before the warning; lower --stall-warn")
        }
        guard bucketMb > 0 && bucketMb <= 1e6 else {
            throw ValidationError("--bucket-mb must be a positive size in MB, at most 1000000, got \(bucketMb)")
        }
        guard r1 >= 0 && r1.isFinite else {
            throw ValidationError("--r1 must be a finite penalty weight of 0 (off) or more, got \(r1)")
        }
        guard gEmaKimg >= 0 && gEmaKimg <= 1e9 else {
            throw ValidationError("--g-ema-kimg must be 0 (no average) or a half-life of at most 1e9 thousand images, got \(gEmaKimg)")
        }
        guard lrDecayStart >= 0 && lrDecayStart < 1 else {
            throw ValidationError("--lr-decay-start must be a share of the steps in [0, 1), got \(lrDecayStart)")
        }
        try validateArchitecture()
    }

    // MARK: - 2-D architectures, packing, minibatch stddev

    /// Settings a preset applies before the command line's flags.
    public static let presets: [String: [String]] = [
        // PacGAN (Lin et al. 2018), its 2-D experiments: G 4 × 400 ReLU + BatchNorm, D 3 × 200
        // maxout units of 5 pieces, Adam 1e-4 with β1 0.8, batch 100.
        "pacgan": ["--model=mlp", "--g-widths=400,400,400,400", "--g-batch-norm", "--d-widths=200,200,200",
                   "--maxout=5", "--lr-g=0.0001", "--lr-d=0.0001", "--beta1=0.8", "--global-batch=100"],
    ]

    /// `arguments` with the flags of the preset they name (`--preset NAME`) put before the first
    /// flag (after any subcommand words such as `bench step`), so that the flags given win; a
    /// preset's batch gives way to a --batch or --global-batch given.
    public static func expandingPreset(_ arguments: [String]) -> [String] {
        var name: String?
        for (i, argument) in arguments.enumerated() {
            if argument == "--preset", i + 1 < arguments.count { name = arguments[i + 1] }
            if argument.hasPrefix("--preset=") { name = String(argument.dropFirst("--preset=".count)) }
        }
        guard let name, let flags = presets[name] else { return arguments }  // an unknown name: validate() says so
        let batchGiven = arguments.contains { ["--batch", "--global-batch"].contains($0.split(separator: "=").first.map(String.init)) }
        var expanded = arguments
        expanded.insert(contentsOf: flags.filter { !(batchGiven && $0.hasPrefix("--global-batch")) },
                        at: arguments.firstIndex { $0.hasPrefix("-") } ?? arguments.endIndex)
        return expanded
    }

    /// Bounds of --g-widths and --d-widths (they also bound the size of a checkpoint).
    static let widthLimits = (width: 1024, depth: 6)
    static let maxoutLimit = 8
    static let packLimit = 16

    /// --g-widths as numbers (nil: the model's own).
    public var generatorWidthList: [Int]? { gWidths.flatMap(Self.widths) }
    public var discriminatorWidthList: [Int]? { dWidths.flatMap(Self.widths) }

    /// "400,400" → [400, 400]; nil unless every entry is a width within the limits.
    private static func widths(_ text: String) -> [Int]? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingWhitespace()) }
        guard (1...widthLimits.depth).contains(parts.count),
              parts.allSatisfy({ $0.map { (1...widthLimits.width).contains($0) } ?? false }) else { return nil }
        return parts.map { $0! }
    }

    private func validateArchitecture() throws {
        if let preset, Self.presets[preset] == nil {
            throw ValidationError("unknown preset '\(preset)' (--preset takes one of: \(Self.presets.keys.sorted().joined(separator: ", ")))")
        }
        for (flag, value, list) in [("--g-widths", gWidths, generatorWidthList), ("--d-widths", dWidths, discriminatorWidthList)] {
            guard let value else { continue }
            if list == nil {
                throw ValidationError("\(flag) '\(value)': give 1 to \(Self.widthLimits.depth) comma-separated widths, each from 1 to \(Self.widthLimits.width), e.g. 400,400")
            }
        }
        guard (1...Self.maxoutLimit).contains(maxout) else {
            throw ValidationError("--maxout must be from 1 (no maxout) to \(Self.maxoutLimit) pieces, got \(maxout)")
        }
        guard (1...Self.packLimit).contains(pack) else {
            throw ValidationError("--pack must be from 1 (no packing) to \(Self.packLimit) samples, got \(pack)")
        }
        if model != ModelKind.mlp.rawValue {
            let mlpOnly = [("--g-widths", gWidths != nil), ("--d-widths", dWidths != nil), ("--g-batch-norm", gBatchNorm),
                           ("--maxout", maxout != 1), ("--preset", preset != nil)]
            if let (flag, _) = mlpOnly.first(where: \.1) {
                throw ValidationError("\(flag) shapes the mlp model's networks; --model \(model) has its own (drop \(flag) or use --model mlp)")
            }
        }
    }

    /// The gradient synchronisation these options ask for.
    public var synchronization: GradientSynchronizer.Configuration {
        GradientSynchronizer.Configuration(mode: allreduce, compression: compress, bucketBytes: Int(bucketMb * 1_000_000))
    }
}

/// The generator's loss: the non-saturating −log D(G(z)) (default, strong gradients early in
/// training) or the original minimax log(1 − D(G(z))) that saturates when D wins.
public enum GeneratorLoss: String, CaseIterable, Codable, ExpressibleByArgument {
    case nonSaturating = "non-saturating"
    case minimax
}

/// What to do when a step's gradients or losses are not finite.
public enum NonFinitePolicy: String, CaseIterable, Codable, ExpressibleByArgument {
    /// Stop the run with a message; the last good checkpoint stays the newest.
    case stop
    /// Skip the optimiser update of the network whose gradients are not finite, and go on.
    case skipStep = "skip-step"
}

extension AllreduceMode: ExpressibleByArgument {}
extension ConvolutionBackend: ExpressibleByArgument {}
extension DiscriminatorNorm: ExpressibleByArgument {}
extension GradientCompression: ExpressibleByArgument {}
extension LearningRateDecay: ExpressibleByArgument {}
