import GantryData

/// `--eval-every` on rank 0: the evaluator, built once at the start of training (the
/// classifier loaded from its cache or trained), and the best Fréchet distance so far.
///
/// An evaluation reads the generator through a checkpoint made of it (`TrainedGenerator`,
/// evaluation mode, a network of its own) and draws its noise from the evaluation stream:
/// training's parameters, state and random numbers are untouched, so a run ends with the
/// same bits with or without it.
final class TrainingEvaluation {
    let evaluator: ImageEvaluator
    let count: Int
    /// The best (lowest) Fréchet distance so far, of the generator in checkpoints/best.gckpt.
    private(set) var best: Double?

    init(dataset: any Dataset, count: Int, best: Double?, progress: (String) -> Void) throws {
        evaluator = try ImageEvaluator(dataset: dataset, cache: ClassifierCache(), progress: progress)
        self.count = count
        self.best = best
        progress("eval floor (\(evaluator.floor.samples) held-out real images): " + evaluator.floor.summary)
    }

    /// Evaluates the generator of `checkpoint`; `best` is true when its Fréchet distance is
    /// the lowest so far (without a classifier, its SWD).
    func evaluate(_ checkpoint: Checkpoint, seed: UInt64) throws -> EvaluationRecord {
        let start = Clock.now()
        let trained = try TrainedGenerator(checkpoint: checkpoint, path: "the generator at step \(checkpoint.header.step)")
        let metrics = trained.evaluateImages(count: count, seed: seed, evaluator: evaluator)
        var record = EvaluationRecord(step: checkpoint.header.step, metrics: metrics, best: false, seconds: 0)
        record.best = best.map { record.score < $0 } ?? true
        if record.best { best = record.score }
        record.seconds = Clock.now() - start
        return record
    }
}
