import Glibc
import GantryMPI
import GantryNN
import GantryData

public enum GantryVersion {
    public static let current = "0.1.0"
}

/// One rank's replica of the GAN and the data-parallel training iteration of DESIGN.md.
///
/// Every rank holds G and D built for its local batch, draws its contiguous slice of each
/// global batch (a function of seed and batch counter only), and averages gradients with
/// one allreduce per network per phase, so that the replicas stay bit-identical.
public final class Trainer {
    public let plan: TrainingPlan
    let communicator: Communicator
    let generator: Network
    let discriminator: Network
    let generatorOptimizer: Adam
    let discriminatorOptimizer: Adam
    let sampler: GlobalSampler
    /// Iterations completed so far.
    public private(set) var step = 0

    // Per-step buffers, allocated once.
    private let realBatch: FloatBuffer
    private let noise: FloatBuffer
    private let logitGradient: FloatBuffer

    private let output: RunOutput?
    private var timing = PhaseTiming()
    private var window = MetricsWindow()

    /// Builds this rank's replica. Performs no collective operation (see Job).
    public init(plan: TrainingPlan, communicator: Communicator, output: RunOutput?) throws {
        self.plan = plan
        self.communicator = communicator
        self.output = output
        let model = plan.model, n = plan.localBatch
        generator = model.makeGenerator(batch: n)
        discriminator = model.makeDiscriminator(batch: n)
        generatorOptimizer = Adam(parameterCount: generator.parameters.count, learningRate: plan.options.learningRateG,
                                  beta1: plan.options.beta1, beta2: plan.options.beta2)
        discriminatorOptimizer = Adam(parameterCount: discriminator.parameters.count, learningRate: plan.options.learningRateD,
                                      beta1: plan.options.beta1, beta2: plan.options.beta2)
        sampler = try GlobalSampler(datasetCount: plan.dataset.count, globalBatch: plan.globalBatch, seed: plan.options.seed)
        realBatch = FloatBuffer(count: model.sampleShape.count * n)
        noise = FloatBuffer(count: model.noiseDimension * n)
        logitGradient = FloatBuffer(count: n)

        model.initialize(generator, seed: plan.options.seed, substream: 0)
        model.initialize(discriminator, seed: plan.options.seed, substream: 1)
        // No collectives here: this runs in the job's setup phase, where a rank that failed
        // earlier waits in the agreement allreduce instead (see Job).
    }

    // MARK: The loop

    public func run() throws {
        let total = plan.totalSteps
        // Rank 0's replica is the reference: every rank starts from its exact bits.
        for network in [generator, discriminator] {
            try communicator.broadcast(network.parameters.pointer, count: network.parameters.count)
            try communicator.broadcast(network.state.pointer, count: network.state.count)
        }
        output?.announce(plan: plan, generator: generator, discriminator: discriminator)
        while step < total {
            try trainOneIteration()
            step += 1
            let options = plan.options
            if step % options.logEvery == 0 || step == total { try logMetrics() }
            if step % options.checkEvery == 0 || step == total { try checkReplicasAgree() }
            if step % options.sampleEvery == 0 || step == total { try output?.writeSamples(step: step, generator: generator, plan: plan) }
            if step % options.checkpointEvery == 0 || step == total { try output?.writeCheckpoint(makeCheckpoint()) }
        }
        output?.finish(plan: plan)
    }

    /// K discriminator steps, then one generator step (Goodfellow et al., Algorithm 1).
    func trainOneIteration() throws {
        let n = plan.localBatch
        for k in 0..<plan.options.dSteps {
            // --- D phase: L_D = BCE(D(x), 1) + BCE(D(G(z)), 0), mean over the global batch.
            let batchCounter = step * plan.options.dSteps + k
            var clock = Clock()
            let (epoch, indices) = sampler.batch(batchCounter)
            let mine = indices.dropFirst(communicator.rank * n).prefix(n)
            plan.dataset.writeBatch(indices: mine, into: realBatch.pointer)
            fillNoise(batchCounter: batchCounter)
            timing.data += clock.lap()

            let fake = generator.forward(noise.pointer, training: true)  // no G gradients in this phase
            discriminator.zeroGradients()
            discriminator.forward(realBatch.pointer, training: true)
            let real = BinaryCrossEntropy.mean(logits: discriminator.output, target: 1, count: n,
                                               gradient: logitGradient.pointer)
            discriminator.backward(logitGradient.pointer, accumulateParameterGradients: true, needInputGradient: false)
            discriminator.forward(fake, training: true)
            let fakeD = BinaryCrossEntropy.mean(logits: discriminator.output, target: 0, count: n,
                                                gradient: logitGradient.pointer)
            discriminator.backward(logitGradient.pointer, accumulateParameterGradients: true, needInputGradient: false)
            timing.discriminatorCompute += clock.lap()

            try communicator.allreduceAverage(discriminator.gradients.pointer, count: discriminator.gradients.count)
            timing.discriminatorCommunication += clock.lap()
            discriminatorOptimizer.update(parameters: discriminator.parameters.pointer, gradients: discriminator.gradients.pointer)
            timing.optimizer += clock.lap()

            if k == plan.options.dSteps - 1 {
                window.epoch = epoch
                window.lossD += real.loss + fakeD.loss
                window.dReal += real.meanProbability
                window.dFake += fakeD.meanProbability
            }
        }

        // --- G phase: through D to the fake batch (no D weight gradients), then through G.
        var clock = Clock()
        let fake = generator.output  // the D phase's fake batch, reused
        discriminator.forward(fake, training: true)
        let lossG: Double
        switch plan.options.generatorLoss {
        case .nonSaturating:  // L_G = BCE(D(G(z)), 1) = −log D(G(z))
            lossG = BinaryCrossEntropy.mean(logits: discriminator.output, target: 1, count: n,
                                            gradient: logitGradient.pointer).loss
        case .minimax:        // L_G = −BCE(D(G(z)), 0) = log(1 − D(G(z)))
            lossG = -BinaryCrossEntropy.mean(logits: discriminator.output, target: 0, count: n,
                                             gradient: logitGradient.pointer, gradientScale: -1).loss
        }
        let fakeGradient = discriminator.backward(logitGradient.pointer, accumulateParameterGradients: false,
                                                  needInputGradient: true)!
        generator.zeroGradients()
        generator.backward(fakeGradient, accumulateParameterGradients: true, needInputGradient: false)
        timing.generatorCompute += clock.lap()
        try communicator.allreduceAverage(generator.gradients.pointer, count: generator.gradients.count)
        timing.generatorCommunication += clock.lap()
        generatorOptimizer.update(parameters: generator.parameters.pointer, gradients: generator.gradients.pointer)
        timing.optimizer += clock.lap()
        window.lossG += lossG
        window.steps += 1
    }

    /// z for the samples of this rank's slice: sample j of the slice is global sample
    /// rank·n + j, and its noise depends only on (seed, batch counter, global index).
    private func fillNoise(batchCounter: Int) {
        let n = plan.localBatch, dimension = plan.model.noiseDimension
        let random = CounterRandom(seed: plan.options.seed, stream: CounterRandom.Stream.noise)
        for j in 0..<n {
            random.fillNormal(a: UInt64(batchCounter), b: UInt64(communicator.rank * n + j), count: dimension,
                              into: noise.pointer + j, stride: n)
        }
    }

    // MARK: Metrics, replica check, checkpoints

    /// Averages the window's losses over ranks and steps, then rank 0 logs them.
    private func logMetrics() throws {
        let sums = try communicator.allreduce([window.lossD, window.lossG, window.dReal, window.dFake])
        let scale = 1 / Double(communicator.size * max(window.steps, 1))
        let record = MetricsRecord(step: step, epoch: window.epoch,
                                   lossD: sums[0] * scale, lossG: sums[1] * scale,
                                   dReal: sums[2] * scale, dFake: sums[3] * scale,
                                   steps: window.steps, globalBatch: plan.globalBatch, timing: timing)
        try output?.log(record, totalSteps: plan.totalSteps)
        window = MetricsWindow()
        timing = PhaseTiming()
    }

    /// All replicas must hold the same bits. A checksum of each network's parameters is
    /// reduced with min and max; any difference means the replicas drifted apart.
    func checkReplicasAgree() throws {
        let sums = [generator, discriminator].map { Self.checksum($0.parameters) }
        let low = try communicator.allreduce(sums, op: .min)
        let high = try communicator.allreduce(sums, op: .max)
        for (i, name) in ["generator", "discriminator"].enumerated() where low[i] != high[i] {
            throw GantryError("replicas drifted apart at step \(step): the \(name)'s parameter checksum ranges from \(low[i]) to \(high[i]) across ranks")
        }
    }

    /// A position-weighted sum, so that swapped values also change it.
    static func checksum(_ buffer: FloatBuffer) -> Double {
        var sum = 0.0
        for i in 0..<buffer.count { sum += Double(buffer[i]) * Double(i % 1021 + 1) }
        return sum
    }

    func makeCheckpoint() -> Checkpoint {
        let header = CheckpointHeader(model: plan.model.rawValue, dataset: plan.dataset.name,
                                      sampleShape: [plan.model.sampleShape.channels, plan.model.sampleShape.height,
                                                    plan.model.sampleShape.width],
                                      noiseDimension: plan.model.noiseDimension, step: step,
                                      epoch: step * plan.options.dSteps / plan.batchesPerEpoch,
                                      worldSize: communicator.size, globalBatch: plan.globalBatch,
                                      seed: plan.options.seed, gantryVersion: GantryVersion.current,
                                      options: plan.options)
        return Checkpoint(header: header,
                          generator: NetworkSnapshot(network: generator, optimizer: generatorOptimizer),
                          discriminator: NetworkSnapshot(network: discriminator, optimizer: discriminatorOptimizer))
    }
}

/// Sums over the steps since the last log line.
struct MetricsWindow {
    var lossD = 0.0, lossG = 0.0, dReal = 0.0, dFake = 0.0
    var steps = 0
    var epoch = 0
}

/// Seconds spent per part of the iteration since the last log line (this rank's clock).
public struct PhaseTiming {
    public var data = 0.0
    public var discriminatorCompute = 0.0
    public var discriminatorCommunication = 0.0
    public var generatorCompute = 0.0
    public var generatorCommunication = 0.0
    public var optimizer = 0.0
    public var total: Double {
        data + discriminatorCompute + discriminatorCommunication + generatorCompute + generatorCommunication + optimizer
    }
}

/// A monotonic stopwatch: `lap()` returns the seconds since the previous lap.
struct Clock {
    private var last = Clock.now()

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    mutating func lap() -> Double {
        let now = Clock.now()
        defer { last = now }
        return now - last
    }
}
