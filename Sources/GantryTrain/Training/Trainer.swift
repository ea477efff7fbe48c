import Glibc
import GantryMPI
import GantryNN
import GantryData

/// One rank's replica of the GAN and the data-parallel training iteration (docs/architecture.md).
///
/// Every rank holds G and D built for its local batch, draws its contiguous slice of each
/// global batch (a function of seed and batch counter only), and averages gradients with
/// one allreduce-sum per network per phase (fused, or in buckets during backward), so that
/// the replicas stay bit-identical.
public final class Trainer {
    public let plan: TrainingPlan
    let communicator: Communicator
    public let generator: Network
    public let discriminator: Network
    let generatorOptimizer: Adam
    /// `--g-ema-kimg`: the moving average of G, updated after each G step (nil without).
    public let generatorEMA: GeneratorEMA?
    let discriminatorOptimizer: Adam
    /// `--r1`: the gradient penalty's pass through D, nil when off.
    let gradientPenalty: GradientPenalty?
    let sampler: GlobalSampler
    /// Iterations completed so far.
    public var step = 0

    // Per-step buffers, allocated once.
    private let realBatch: FloatBuffer
    private let noise: FloatBuffer
    private let logitGradient: FloatBuffer

    private let output: RunOutput?
    /// `--timeline`: this rank's spans (set before `run`).
    public var timeline: Timeline?
    /// Seconds per part of the iteration since the last log line (`gantry bench step` reads it per step).
    public var timing = PhaseTiming()
    private var window = MetricsWindow()
    /// Whether this step's D or G gradients were not finite (identical on every rank: they
    /// are checked after the allreduce).
    private var nonFiniteNetworks: [String] = []
    private var recentMetrics: [MetricsRecord] = []
    /// Training seconds of the run before this start (from the resumed checkpoint's last
    /// metrics line), and when this start began.
    private var elapsedBefore = 0.0
    private let started = Clock.now()
    /// The gradient allreduces of D and G (`--allreduce`, `--bucket-mb`, `--compress`).
    let discriminatorSync: GradientSynchronizer
    let generatorSync: GradientSynchronizer
    /// The per-step agreement's six doubles, allocated once.
    private let agreement = UnsafeMutablePointer<Double>.allocate(capacity: 6)
    private var lastCheckpointStep: Int?
    /// Where the training thread is, for the stall watchdog (`--stall-warn`, `--stall-timeout`).
    let progress = TrainingProgress()
    private var stepSeconds = RecentMedian()
    /// Rank 0: warns once when mpirun would SIGKILL a stopping rank before it has saved.
    /// `--eval-every`, on rank 0 (built at the start of `run`).
    private var evaluation: TrainingEvaluation?
    private lazy var killTimeoutCheck = KillTimeoutCheck(
        checkpointBytes: 4 * (3 * (generator.parameters.count + discriminator.parameters.count)
                              + generator.state.count + discriminator.state.count + (generatorEMA?.floats ?? 0)))

    /// Builds this rank's replica, fresh from the seed or restored from `checkpoint`.
    /// Performs no collective operation (see Job).
    public init(plan: TrainingPlan, communicator: Communicator, output: RunOutput?, resumingFrom checkpoint: Checkpoint? = nil) throws {
        self.plan = plan
        self.communicator = communicator
        self.output = output
        let model = plan.architecture, n = plan.localBatch
        // The rank's threads split every layer's work, each running single-threaded GEMMs on
        // its part; the layers take the pool when built, so it is set first.
        WorkerPool.useThreads(plan.options.threads)
        ConvolutionBackend.use(plan.options.convBackend)
        BLAS.setThreads(1)
        generator = model.makeGenerator(batch: n)
        discriminator = model.makeDiscriminator(batch: n)
        gradientPenalty = plan.options.r1 > 0 ? GradientPenalty(network: discriminator) : nil
        discriminatorSync = GradientSynchronizer(network: discriminator, communicator: communicator,
                                                 configuration: plan.options.synchronization)
        generatorSync = GradientSynchronizer(network: generator, communicator: communicator,
                                             configuration: plan.options.synchronization)
        if plan.options.syncBn {
            generator.synchronizeBatchNorm(through: communicator)
            discriminator.synchronizeBatchNorm(through: communicator)
        }
        generatorOptimizer = Adam(parameterCount: generator.parameters.count, learningRate: plan.options.lrG,
                                  beta1: plan.options.beta1, beta2: plan.options.beta2)
        discriminatorOptimizer = Adam(parameterCount: discriminator.parameters.count, learningRate: plan.options.lrD,
                                      beta1: plan.options.beta1, beta2: plan.options.beta2)
        sampler = try GlobalSampler(datasetCount: plan.dataset.count, globalBatch: plan.globalBatch, seed: plan.options.seed)
        realBatch = FloatBuffer(count: model.sampleShape.count * n)
        noise = FloatBuffer(count: model.noiseDimension * n)
        logitGradient = FloatBuffer(count: n)

        if let checkpoint {
            guard !checkpoint.header.step.multipliedReportingOverflow(by: plan.options.dSteps).overflow else {
                throw GantryError("the checkpoint's step \(checkpoint.header.step) times --d-steps \(plan.options.dSteps) is more batches than can be counted")
            }
            checkpoint.generator.restore(into: generator, optimizer: generatorOptimizer)
            checkpoint.discriminator.restore(into: discriminator, optimizer: discriminatorOptimizer)
            step = checkpoint.header.step
            lastCheckpointStep = step
            progress.setCheckpoint(step: step)
            recentMetrics = checkpoint.recentMetrics
            elapsedBefore = checkpoint.recentMetrics.last?.elapsedS ?? 0
        } else {
            model.initialize(generator, seed: plan.options.seed, substream: 0)
            model.initialize(discriminator, seed: plan.options.seed, substream: 1)
        }
        generatorEMA = GeneratorEMA.kept(halfLifeKimg: plan.options.gEmaKimg, generator: generator,
                                         checkpoint: checkpoint?.generatorEMA)
    }

    deinit { agreement.deallocate() }

    // MARK: The loop

    /// Trains to `plan.totalSteps`. A stop request (StopSignal) is honoured at each step
    /// boundary; the command installs its handler (gantry train does, from its start).
    public func run() throws {
        let total = plan.totalSteps, options = plan.options
        // Rank 0's replica is the reference: every rank starts from its exact bits.
        for network in [generator, discriminator] {
            try communicator.broadcast(network.parameters.pointer, count: network.parameters.count)
            try communicator.broadcast(network.state.pointer, count: network.state.count)
        }
        try generatorEMA?.broadcast(through: communicator)
        if options.evalEvery > 0, let output {
            evaluation = try TrainingEvaluation(dataset: plan.dataset, count: options.evalCount, best: output.bestEvaluation) { print($0) }
        }
        // Watched from here on: setup may take long legitimately, the loop's phases may not.
        let watchdog = StallWatchdog(progress: progress, warning: StallThreshold(seconds: Double(options.stallWarn)),
                                     timeout: StallThreshold(seconds: Double(options.stallTimeout)),
                                     syncBatchNorm: options.syncBn, communicator: communicator)
        watchdog.start()
        defer { watchdog.stop() }  // also when a step throws
        output?.announce(plan: plan, generator: generator, discriminator: discriminator, startStep: step)
        var stopRequested = false
        while step < total && !stopRequested {
            let stepStart = Clock.now()
            let local = try trainOneIteration()
            step += 1
            stopRequested = try timed(.agreement) { try agreeOnStep(local) }
            if step % options.logEvery == 0 || step == total || stopRequested { try timed(.metrics) { try logMetrics() } }
            if step % options.checkEvery == 0 || step == total { try timed(.replicaCheck) { try checkReplicasAgree() } }
            if step % options.sampleEvery == 0 || step == total {
                try timed(.samples) { try output?.writeSamples(step: step, generator: generator, average: generatorEMA, plan: plan) }
            }
            if let evaluation, step % options.evalEvery == 0 || step == total {
                try timed(.evaluation) { try evaluate(evaluation) }
            }
            if step % options.checkpointEvery == 0 || step == total || stopRequested { try timed(.checkpoint) { try writeCheckpoint() } }
            let stepEnd = Clock.now()
            try timeline?.record(.step, step: step, start: stepStart, end: stepEnd)
            stepSeconds.add(stepEnd - stepStart)
            progress.setTypicalStep(seconds: stepSeconds.median)
            if output != nil { killTimeoutCheck.record(stepSeconds: stepEnd - stepStart) }
        }
        watchdog.stop()  // what follows is not a phase of a step
        try finishTimeline()
        if stopRequested {
            output?.stopped(step: step, worldSize: communicator.size)
        } else {
            output?.finish(plan: plan)
        }
    }

    /// Runs `body` as `phase` of the step just trained (published for the watchdog); with
    /// --timeline, as a span of it.
    private func timed<Value>(_ phase: Timeline.Phase, _ body: () throws -> Value) throws -> Value {
        let start = Clock.now()
        progress.enter(phase, step: step, at: start)
        let value = try body()
        try timeline?.record(phase, step: step, start: start, end: Clock.now())
        return value
    }

    /// With --timeline: every rank writes its last spans, then rank 0 merges the parts.
    private func finishTimeline() throws {
        guard let timeline else { return }
        try timeline.flush()
        try communicator.barrier()
        if communicator.isRoot { try Timeline.merge(path: timeline.path, ranks: communicator.size) }
    }

    /// The per-step agreement: one small allreduce carries the stop requests of all ranks
    /// and the step's losses (R1's too: every rank applies it on the same D steps). Returns whether any rank asked to stop; throws an
    /// agreed GantryError when the step was not finite and the policy is to stop.
    private func agreeOnStep(_ local: StepLosses) throws -> Bool {
        let sums = agreement
        (sums[0], sums[1], sums[2], sums[3], sums[4]) = (StopSignal.isRequested ? 1 : 0, local.lossD, local.lossG, local.dReal, local.dFake)
        sums[5] = local.r1 ?? 0
        try communicator.allreduce(sums, count: 6)
        let scale = 1 / Double(communicator.size)
        var losses = StepLosses(lossD: sums[1] * scale, lossG: sums[2] * scale, dReal: sums[3] * scale, dFake: sums[4] * scale)
        if local.r1 != nil { losses.r1 = sums[5] * scale }
        if !losses.lossD.isFinite || !losses.lossG.isFinite { nonFiniteNetworks.append("losses") }
        if nonFiniteNetworks.isEmpty {
            window.add(losses)
        } else {
            let what = nonFiniteNetworks.joined(separator: " and ")
            nonFiniteNetworks = []
            switch plan.options.onNan {
            case .stop:
                let last = lastCheckpointStep.map { "the last good checkpoint is \(CheckpointDirectory.fileName(step: $0))" }
                    ?? "no checkpoint was written yet"
                throw GantryError.agreed("non-finite \(what) at step \(step) (loss_d \(losses.lossD), loss_g \(losses.lossG)): "
                                    + "stopped without a new checkpoint; \(last). Lower --lr-d/--lr-g, or pass --on-nan skip-step")
            case .skipStep:
                window.skipped += 1
            }
        }
        return sums[0] > 0
    }

    /// 1/size: each rank scales its loss gradient by its share of the global batch, so that
    /// the allreduce's sum is already the gradient of the global mean (no averaging pass).
    private var shareOfGlobalBatch: Float { 1 / Float(communicator.size) }

    /// K discriminator steps, then one generator step (Goodfellow et al., Algorithm 1).
    /// Returns this rank's losses and D outputs (means over its slice).
    public func trainOneIteration() throws -> StepLosses {
        // D's logits: one per sample, or one per packed group of samples (--pack).
        let n = discriminator.outputBatchSize
        var losses = StepLosses()
        // --lr-decay: this step's learning rates, a function of the step alone (every rank, and a
        // resumed run, uses the same).
        let decay = plan.options.lrDecay.factor(step: step, of: plan.totalSteps, start: plan.options.lrDecayStart)
        discriminatorOptimizer.learningRate = plan.options.lrD * decay
        generatorOptimizer.learningRate = plan.options.lrG * decay
        for k in 0..<plan.options.dSteps {
            // --- D phase: L_D = BCE(D(x), 1) + BCE(D(G(z)), 0), mean over the global batch.
            let batchCounter = step * plan.options.dSteps + k
            var clock = Clock()
            progress.enter(.data, step: step + 1, at: clock.last)
            let (epoch, mine) = sampler.localIndices(batchCounter, rank: communicator.rank, worldSize: communicator.size)
            plan.dataset.writeBatch(indices: mine, into: realBatch.pointer)
            fillNoise(batchCounter: batchCounter)
            window.epoch = epoch
            try endPart(\.data, .data, &clock, then: .generatorForward)

            let fake = generator.forward(noise.pointer, training: true)  // no G gradients in this phase
            try endPart(\.generatorForward, .generatorForward, &clock, then: .discriminatorForwardBackward)
            discriminator.zeroGradients()
            discriminator.forward(realBatch.pointer, training: true)
            let real = BinaryCrossEntropy.mean(logits: discriminator.output, target: 1, count: n,
                                               gradient: logitGradient.pointer, gradientScale: shareOfGlobalBatch)
            discriminator.backward(logitGradient.pointer, accumulateParameterGradients: true, needInputGradient: false)
            // R1 (--r1 γ): L_D += (γ/2)·E_x‖∇ₓD(x)‖² on the real batch, mean over the global batch;
            // lazily (--r1-every k) on every k-th D step only, with γ·k.
            if let gradientPenalty, batchCounter % plan.options.r1Every == 0 {
                let gamma = plan.options.r1, every = Float(plan.options.r1Every)
                let sum = gradientPenalty.accumulateGradient(scale: Float(gamma) * every / 2 * shareOfGlobalBatch / Float(n))
                losses.r1 = gamma / 2 * sum / Double(n)
            }
            discriminator.forward(fake, training: true)
            let fakeD = BinaryCrossEntropy.mean(logits: discriminator.output, target: 0, count: n,
                                                gradient: logitGradient.pointer, gradientScale: shareOfGlobalBatch)
            // This backward completes D's gradients: reduce each bucket as soon as it is final.
            discriminator.backward(logitGradient.pointer, accumulateParameterGradients: true, needInputGradient: false,
                                   afterLayer: discriminatorSync.layerDone)
            try endPart(\.discriminatorForwardBackward, .discriminatorForwardBackward, &clock, then: .discriminatorAllreduce)

            try discriminatorSync.finish()
            try endPart(\.discriminatorCommunication, .discriminatorAllreduce, &clock, then: .optimizer)
            try recordBuckets(of: discriminatorSync, as: .discriminatorAllreduce)
            updateIfFinite(discriminator, discriminatorOptimizer)
            try endPart(\.optimizer, .optimizer, &clock)

            losses.lossD = real.loss + fakeD.loss
            losses.dReal = real.meanProbability
            losses.dFake = fakeD.meanProbability
        }

        // --- G phase: through D to the fake batch (no D weight gradients), then through G.
        var clock = Clock()
        progress.enter(.discriminatorInputGradient, step: step + 1, at: clock.last)
        let fake = generator.output  // the D phase's fake batch, reused
        discriminator.forward(fake, training: true)
        switch plan.options.gLoss {
        case .nonSaturating:  // L_G = BCE(D(G(z)), 1) = −log D(G(z))
            losses.lossG = BinaryCrossEntropy.mean(logits: discriminator.output, target: 1, count: n,
                                                   gradient: logitGradient.pointer, gradientScale: shareOfGlobalBatch).loss
        case .minimax:        // L_G = −BCE(D(G(z)), 0) = log(1 − D(G(z)))
            losses.lossG = -BinaryCrossEntropy.mean(logits: discriminator.output, target: 0, count: n,
                                                    gradient: logitGradient.pointer, gradientScale: -shareOfGlobalBatch).loss
        }
        let fakeGradient = discriminator.backward(logitGradient.pointer, accumulateParameterGradients: false,
                                                  needInputGradient: true)!
        try endPart(\.discriminatorInputGradient, .discriminatorInputGradient, &clock, then: .generatorBackward)
        generator.zeroGradients()
        generator.backward(fakeGradient, accumulateParameterGradients: true, needInputGradient: false,
                           afterLayer: generatorSync.layerDone)
        try endPart(\.generatorBackward, .generatorBackward, &clock, then: .generatorAllreduce)
        try generatorSync.finish()
        try endPart(\.generatorCommunication, .generatorAllreduce, &clock, then: .optimizer)
        try recordBuckets(of: generatorSync, as: .generatorAllreduce)
        updateIfFinite(generator, generatorOptimizer)
        generatorEMA?.update(towards: generator, globalBatch: plan.globalBatch)
        try endPart(\.optimizer, .optimizer, &clock)
        return losses
    }

    /// The Adam step, unless the averaged gradients hold a NaN or an infinity. They are the
    /// same on every rank after the allreduce, so every rank decides the same.
    private func updateIfFinite(_ network: Network, _ optimizer: Adam) {
        let gradients = network.gradients.pointer
        guard allFinite(gradients, count: network.gradients.count) else {
            let what = "\(network.name) gradients"  // once, however many D steps had them
            if !nonFiniteNetworks.contains(what) { nonFiniteNetworks.append(what) }
            return
        }
        optimizer.update(parameters: network.parameters.pointer, gradients: gradients)
    }

    /// Ends the current part of the iteration: its seconds count in the metrics (`timing`)
    /// and, with --timeline, make a span of the iteration being trained. The watchdog
    /// learns that the iteration is now in phase `next`.
    private func endPart(_ part: WritableKeyPath<PhaseTiming, Double>, _ phase: Timeline.Phase, _ clock: inout Clock,
                         then next: Timeline.Phase? = nil) throws {
        let start = clock.last, seconds = clock.lap()
        if let next { progress.enter(next, step: step + 1, at: clock.last) }
        timing[keyPath: part] += seconds
        try timeline?.record(phase, step: step + 1, start: start, end: start + seconds)
    }

    /// With --timeline, a span per bucket of the allreduce that just finished, from its
    /// start to its completion, each bucket in a lane of its own.
    private func recordBuckets(of synchronizer: GradientSynchronizer, as phase: Timeline.Phase) throws {
        guard let timeline else { return }
        for i in 0..<synchronizer.bucketCount {
            try timeline.record(phase, step: step + 1, start: synchronizer.bucketStarts[i], end: synchronizer.bucketEnds[i], lane: 1 + i)
        }
    }

    /// z for the samples of this rank's slice: sample j of the slice is global sample
    /// rank·n + j, and its noise depends only on (seed, batch counter, global index).
    private func fillNoise(batchCounter: Int) {
        let n = plan.localBatch
        CounterRandom(seed: plan.options.seed, stream: CounterRandom.Stream.noise)
            .fillNormalBatch(a: UInt64(batchCounter), firstSample: communicator.rank * n, count: n,
                             dimension: plan.model.noiseDimension, into: noise.pointer)
    }

    // MARK: Metrics, replica check, checkpoints

    /// Rank 0 logs the averages over the steps since the previous log line.
    private func logMetrics() throws {
        guard window.steps + window.skipped > 0 else { return }
        let record = MetricsRecord(step: step, window: window, globalBatch: plan.globalBatch, timing: timing,
                                   elapsed: elapsedBefore + Clock.now() - started)
        recentMetrics = Array((recentMetrics + [record]).suffix(100))
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
            throw GantryError.agreed("replicas drifted apart at step \(step): the \(name)'s parameter checksum ranges from \(low[i]) to \(high[i]) across ranks")
        }
    }

    /// A position-weighted sum, so that swapped values also change it.
    static func checksum(_ buffer: FloatBuffer) -> Double {
        var sum = 0.0
        for i in 0..<buffer.count { sum += Double(buffer[i]) * Double(i % 1021 + 1) }
        return sum
    }

    /// Rank 0 measures the generator as it is now (`--eval-every`, docs/evaluation.md) and
    /// keeps it as checkpoints/best.gckpt when it is the best so far.
    private func evaluate(_ evaluation: TrainingEvaluation) throws {
        let checkpoint = makeCheckpoint()
        let record = try evaluation.evaluate(checkpoint, seed: plan.options.seed)
        if record.best { try output?.writeBestCheckpoint(checkpoint) }
        try output?.log(record)
    }

    private func writeCheckpoint() throws {
        guard lastCheckpointStep != step else { return }
        try output?.writeCheckpoint(makeCheckpoint(), keep: plan.options.keep, keepEvery: plan.options.keepEvery)
        lastCheckpointStep = step
        progress.setCheckpoint(step: step)
    }

    func makeCheckpoint() -> Checkpoint {
        let shape = plan.model.sampleShape
        let batchCounter = step * plan.options.dSteps
        let header = CheckpointHeader(model: plan.model.rawValue, dataset: plan.dataset.name,
                                      sampleShape: [shape.channels, shape.height, shape.width],
                                      noiseDimension: plan.model.noiseDimension, step: step,
                                      worldSize: communicator.size, globalBatch: plan.globalBatch,
                                      sampler: SamplerPosition(epoch: batchCounter / sampler.batchesPerEpoch, batchCounter: batchCounter),
                                      random: RandomKeys(seed: plan.options.seed,
                                                         streams: ["noise": CounterRandom.Stream.noise,
                                                                   "weights": CounterRandom.Stream.weights,
                                                                   "permutation": CounterRandom.Stream.permutation,
                                                                   "samples": CounterRandom.Stream.evaluation]),
                                      gantryVersion: GantryVersion.current, options: plan.options.settings)
        return Checkpoint(header: header,
                          generator: NetworkSnapshot(network: generator, optimizer: generatorOptimizer),
                          discriminator: NetworkSnapshot(network: discriminator, optimizer: discriminatorOptimizer),
                          recentMetrics: recentMetrics, generatorEMA: generatorEMA?.snapshot)
    }
}

/// Whether `count` floats are all finite: x·0 is 0 for finite x and NaN for NaN and ±∞.
/// Eight lanes at a time, so the check costs a fraction of a millisecond per million floats.
func allFinite(_ values: UnsafePointer<Float>, count: Int) -> Bool {
    var lanes = SIMD8<Float>()
    let vectors = count / 8
    UnsafeRawPointer(values).withMemoryRebound(to: SIMD8<Float>.self, capacity: vectors) { chunks in
        for i in 0..<vectors { lanes += chunks[i] * 0 }
    }
    var tail: Float = 0
    for i in (vectors * 8)..<count { tail += values[i] * 0 }
    return lanes.sum() + tail == 0
}
