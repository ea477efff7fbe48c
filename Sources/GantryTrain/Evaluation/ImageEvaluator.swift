import GantryData
import GantryNN

/// Measures sets of images against a dataset's training images (docs/evaluation.md): built
/// once per dataset (the classifier loaded or trained, the training and held-out images
/// scored), then `measure` scores any number of image sets, and `floor` holds the held-out
/// real images' scores, the best a model can be expected to reach.
public final class ImageEvaluator {
    /// Most images compared as point sets (precision/recall, SWD): their cost grows with the square.
    public static let pointSetLimit = 2000

    public let dataset: any Dataset
    public let split: EvaluationSplit
    public let classifier: ImageClassifier?
    let reference: ImageSetScores
    /// The held-out real images against the training images.
    public let floor: ImageMetrics
    /// Images kept for the point-set metrics: the same for every set, the floor's included.
    public let pointSetSize: Int

    /// `classMetrics`: train (or load) the classifier; false measures SWD only. A dataset
    /// without labels gets SWD only whatever is asked (the caller refuses an explicit request).
    public init(dataset: any Dataset, cache: ClassifierCache, classMetrics: Bool = true,
                progress: (String) -> Void = { _ in }) throws {
        self.dataset = dataset
        split = EvaluationSplit(count: dataset.count)
        guard split.heldOut.count >= 2, split.training.count >= 2 else {
            throw GantryError.usage("\(dataset.name) has \(dataset.count) samples; evaluation needs at least 10 (a fifth are held out)")
        }
        classifier = classMetrics && dataset.isLabelled ? try cache.classifier(for: dataset, split: split, progress: progress) : nil
        pointSetSize = min(Self.pointSetLimit, split.heldOut.count)
        reference = Self.scores(of: dataset, indices: split.training, classifier: classifier, kept: pointSetSize)
        let heldOut = Self.scores(of: dataset, indices: split.heldOut, classifier: classifier, kept: pointSetSize)
        floor = ImageMetrics(set: heldOut, reference: reference)
    }

    /// A new, empty set of scores for images of the dataset's shape.
    public func makeScores() -> ImageSetScores {
        ImageSetScores(shape: dataset.shape, classifier: classifier, kept: pointSetSize)
    }

    /// The metrics of a set of scores (all its images added and `finish`ed).
    public func metrics(of scores: ImageSetScores) -> ImageMetrics { ImageMetrics(set: scores, reference: reference) }

    /// Scores `count` images that `produce` hands over a chunk at a time (channel-major
    /// pointers valid during the call) and measures them.
    public func measure(count: Int, _ produce: ((UnsafePointer<Float>, Int) -> Void) throws -> Void) rethrows -> ImageMetrics {
        let scores = makeScores()
        try produce { batch, n in scores.add(batch, count: n) }
        scores.finish()
        precondition(scores.count == count, "ImageEvaluator.measure: \(scores.count) images for \(count)")
        return metrics(of: scores)
    }

    /// The dataset's images `indices`, scored a batch at a time.
    static func scores(of dataset: any Dataset, indices: [Int], classifier: ImageClassifier?, kept: Int) -> ImageSetScores {
        let scores = ImageSetScores(shape: dataset.shape, classifier: classifier, kept: kept)
        let batch = FloatBuffer(count: dataset.shape.count * ImageClassifier.batch)
        for first in stride(from: 0, to: indices.count, by: ImageClassifier.batch) {
            let chunk = indices[first..<min(first + ImageClassifier.batch, indices.count)]
            dataset.writeBatch(indices: chunk, into: batch.pointer)
            scores.add(batch.pointer, count: chunk.count)
        }
        scores.finish()
        return scores
    }
}
