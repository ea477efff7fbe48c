import Glibc
import GantryNN
import GantryMPI

/// `--g-ema-kimg H`: an exponential moving average of G's parameters and BatchNorm running
/// statistics (docs/ema.md). Sample pictures, `gantry sample`, `eval` and `export` use it
/// instead of the trained G when a run keeps one.
///
/// After every G step, with B the global batch and n the images G trained on before it:
///
///     h   = min(H·1000, rampup·n)      the half-life in images, short during the warm-up
///     β   = 0.5^(B / h)                (0 when h is 0: the first step copies G)
///     ema = g + β·(ema − g)            for every parameter and running statistic
///
/// as StyleGAN2-ADA's `ema_kimg` and `ema_rampup`, except that the running statistics are
/// averaged too rather than copied. Every rank keeps the average: it is a function of G,
/// which is bit-identical on every rank, and of the counts, so the ranks' averages stay
/// identical without communication and rank 0's checkpoint holds the one they all have.
public final class GeneratorEMA {
    /// StyleGAN2-ADA's `ema_rampup`: during the warm-up the half-life is this share of the
    /// images seen, so that the average forgets its start (a copy of the untrained G) quickly;
    /// after k steps β is 0.5^(20/k), until rampup·n reaches H·1000 images.
    public static let rampup = 0.05

    public let halfLifeKimg: Double
    /// Laid out like G's `parameters` and `state`.
    public let parameters: FloatBuffer
    public let state: FloatBuffer
    /// Images G trained on since the average began: the global batch per G step.
    public private(set) var images: Int

    /// A new average: a copy of `generator`, with no images behind it.
    public init(halfLifeKimg: Double, copying generator: Network) {
        self.halfLifeKimg = halfLifeKimg
        parameters = FloatBuffer(count: generator.parameters.count)
        state = FloatBuffer(count: generator.state.count)
        parameters.copy(from: generator.parameters.pointer)
        state.copy(from: generator.state.pointer)
        images = 0
    }

    /// The average a checkpoint holds, continued with the half-life given now.
    public init(halfLifeKimg: Double, restoring snapshot: GeneratorEMASnapshot) {
        self.halfLifeKimg = halfLifeKimg
        parameters = FloatBuffer(count: snapshot.parameters.count)
        state = FloatBuffer(count: snapshot.state.count)
        parameters.load(snapshot.parameters)
        state.load(snapshot.state)
        images = snapshot.images
    }

    /// The average of a run with `--g-ema-kimg halfLifeKimg` (nil for 0): the checkpoint's
    /// when it holds one, else a new one from `generator` (a fresh run, or a resumed run that
    /// kept none before). A resumed run continues with the half-life it is given now.
    public static func kept(halfLifeKimg: Double, generator: Network, checkpoint: GeneratorEMASnapshot?) -> GeneratorEMA? {
        guard halfLifeKimg > 0 else { return nil }
        guard let checkpoint else { return GeneratorEMA(halfLifeKimg: halfLifeKimg, copying: generator) }
        return GeneratorEMA(halfLifeKimg: halfLifeKimg, restoring: checkpoint)
    }

    /// β of the G step after `images` images with a global batch of `globalBatch`.
    public static func beta(halfLifeKimg: Double, images: Int, globalBatch: Int) -> Double {
        let halfLife = min(halfLifeKimg * 1000, rampup * Double(images))
        return halfLife > 0 ? pow(0.5, Double(globalBatch) / halfLife) : 0
    }

    /// Moves the average towards `generator` after a G step on `globalBatch` images.
    /// One pass over the buffers; no allocation.
    public func update(towards generator: Network, globalBatch: Int) {
        let beta = Float(Self.beta(halfLifeKimg: halfLifeKimg, images: images, globalBatch: globalBatch))
        Self.blend(parameters, towards: generator.parameters, beta: beta)
        Self.blend(state, towards: generator.state, beta: beta)
        images += globalBatch
    }

    /// average = g + β·(average − g), element by element (torch.lerp(g, average, β)). Eight
    /// lanes at a time, as in Adam (the compiler does not vectorise a loop over buffers that
    /// may alias), then the tail; every lane does the scalar arithmetic, so the bits are the same.
    private static func blend(_ average: FloatBuffer, towards trained: FloatBuffer, beta: Float) {
        let a = average.pointer, g = UnsafePointer(trained.pointer)
        let vectors = average.count / 8
        for k in 0..<vectors {
            let i = 8 * k
            let gi = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
            let ai = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(a + i).storeBytes(of: gi + beta * (ai - gi), as: SIMD8<Float>.self)
        }
        for i in (8 * vectors)..<average.count { a[i] = g[i] + beta * (a[i] - g[i]) }
    }

    /// Copies the average into `network`, a G of the same model (any batch size).
    public func copyWeights(into network: Network) {
        network.parameters.copy(from: parameters.pointer)
        network.state.copy(from: state.pointer)
    }

    /// Makes every rank's average rank 0's, bit for bit (see `Trainer.run`).
    func broadcast(through communicator: Communicator) throws {
        try communicator.broadcast(parameters.pointer, count: parameters.count)
        try communicator.broadcast(state.pointer, count: state.count)
    }

    public var snapshot: GeneratorEMASnapshot {
        GeneratorEMASnapshot(parameters: parameters.array, state: state.array, images: images)
    }

    /// Floats the average holds (the memory budget counts them).
    public var floats: Int { parameters.count + state.count }
}
