import GantryData
import GantryNN

/// Everything the image metrics need from one set of images, gathered a sample at a time
/// in the order the samples come, so that neither memory nor the result depends on how
/// many samples arrive at once: the classifier's feature moments and class distribution
/// over all samples, and the features and pyramid patches of the first `kept` samples (for
/// precision/recall and SWD, which compare point sets).
public final class ImageSetScores {
    public let shape: SampleShape
    public let kept: Int
    let classifier: ImageClassifier?
    public private(set) var count = 0
    public private(set) var moments: FeatureMoments?
    public private(set) var classes: ClassDistribution?
    /// Sample-major features of the first `kept` samples.
    private(set) var keptFeatures: [Float] = []
    private(set) var patches: PyramidPatches

    /// Samples wait here until the classifier's fixed batch is full.
    private let staging: FloatBuffer
    private var staged = 0
    private var probabilities: [Double]

    public init(shape: SampleShape, classifier: ImageClassifier?, kept: Int) {
        self.shape = shape
        self.classifier = classifier
        self.kept = kept
        patches = PyramidPatches(shape: shape)
        staging = FloatBuffer(count: classifier == nil ? 0 : shape.count * ImageClassifier.batch)
        probabilities = [Double](repeating: 0, count: (classifier?.classes ?? 0) * ImageClassifier.batch)
        if let classifier {
            moments = FeatureMoments(dimension: ImageClassifier.featureCount)
            classes = ClassDistribution(classes: classifier.classes)
        }
    }

    /// Adds `n` samples, channel-major (C, n, H, W).
    public func add(_ batch: UnsafePointer<Float>, count n: Int) {
        let plane = shape.spatial, b = ImageClassifier.batch
        for j in 0..<n {
            if patches.images < kept { patches.add(batch, sample: j, batchSize: n) }
            guard classifier != nil else { count += 1; continue }
            for c in 0..<shape.channels {
                (staging.pointer + (c * b + staged) * plane).update(from: batch + (c * n + j) * plane, count: plane)
            }
            staged += 1
            if staged == b { scoreStaged() }
        }
    }

    /// Scores the samples still waiting (the last, partial batch); call once all are added.
    public func finish() {
        if staged > 0 { scoreStaged() }
    }

    private func scoreStaged() {
        guard let classifier else { return }
        let b = ImageClassifier.batch, plane = shape.spatial
        // The unused tail of the batch is zeroed; each sample's outputs depend on its own column only.
        for c in 0..<shape.channels where staged < b {
            (staging.pointer + (c * b + staged) * plane).update(repeating: 0, count: (b - staged) * plane)
        }
        let (features, logits) = classifier.score(staging.pointer)
        probabilities.withUnsafeMutableBufferPointer {
            SoftmaxCrossEntropy.probabilities(logits: logits, classes: classifier.classes, count: b, into: $0.baseAddress!)
        }
        for j in 0..<staged {
            moments!.add(features, sample: j, batchSize: b)
            probabilities.withUnsafeBufferPointer { classes!.add(probabilities: $0.baseAddress!, sample: j, batchSize: b) }
            if count < kept {
                for i in 0..<ImageClassifier.featureCount { keptFeatures.append(features[i * b + j]) }
            }
            count += 1
        }
        staged = 0
    }
}
