/// The image metrics of one set of images against the training images (docs/evaluation.md).
/// The classifier's metrics are nil for a dataset without labels.
public struct ImageMetrics: Codable, Equatable {
    public var samples: Int
    /// Fréchet distance in the classifier's feature space (lower is better, 0 = same Gaussians).
    public var frechetDistance: Double?
    /// exp E KL(p(y|x) ‖ p(y)) (higher is better, at most the class count).
    public var inceptionScore: Double?
    /// Classes predicted for at least 1% of the samples, of `classes`.
    public var classesCovered: Int?
    public var classes: Int?
    /// KL(predicted-class histogram ‖ the training images' one) (lower is better).
    public var classKl: Double?
    /// k-NN precision and recall (k = 3) of the first `pointSetSize` samples' features.
    public var precision: Double?
    public var recall: Double?
    /// Images compared by precision/recall and SWD.
    public var pointSetSize: Int
    /// SWD ×10³ per Laplacian level (finest first) and their mean (lower is better).
    public var swd: [Double]
    public var swdMean: Double

    init(set: ImageSetScores, reference: ImageSetScores) {
        samples = set.count
        if let moments = set.moments, let referenceMoments = reference.moments,
           let classDistribution = set.classes, let referenceClasses = reference.classes {
            frechetDistance = FrechetDistance.between(moments, referenceMoments)
            inceptionScore = classDistribution.inceptionScore
            classesCovered = classDistribution.classesCovered
            classes = classDistribution.classes
            classKl = classDistribution.klDivergence(from: referenceClasses)
            (precision, recall) = PrecisionRecall.measure(real: reference.keptFeatures, generated: set.keptFeatures,
                                                          dimension: ImageClassifier.featureCount)
        }
        pointSetSize = min(set.patches.images, reference.patches.images)
        swd = PyramidPatches.distance(set.patches, reference.patches)
        swdMean = swd.reduce(0, +) / Double(max(swd.count, 1))
    }
}
