import Foundation

/// One line of metrics.jsonl written by `--eval-every`: `"kind": "eval"` tells it from the
/// training lines (which have no `kind`). Keys (docs/evaluation.md): `step`, `samples`,
/// `frechet_distance`, `inception_score`, `classes_covered`, `classes`, `class_kl`,
/// `precision`, `recall` (absent for unlabelled data), `swd_mean`, `best` (whether this
/// evaluation's Fréchet distance is the best so far, now in checkpoints/best.gckpt),
/// `seconds` (the evaluation's own time), `wall_time`.
public struct EvaluationRecord: Codable, Equatable {
    public var kind = "eval"
    public var step: Int
    public var samples: Int
    public var frechetDistance: Double?
    public var inceptionScore: Double?
    public var classesCovered: Int?
    public var classes: Int?
    public var classKl: Double?
    public var precision: Double?
    public var recall: Double?
    public var swdMean: Double
    public var best: Bool
    public var seconds: Double
    public var wallTime: Double

    init(step: Int, metrics: ImageMetrics, best: Bool, seconds: Double) {
        self.step = step
        samples = metrics.samples
        frechetDistance = metrics.frechetDistance
        inceptionScore = metrics.inceptionScore
        classesCovered = metrics.classesCovered
        classes = metrics.classes
        classKl = metrics.classKl
        precision = metrics.precision
        recall = metrics.recall
        swdMean = metrics.swdMean
        self.best = best
        self.seconds = seconds
        wallTime = Date().timeIntervalSince1970
    }

    /// The scalars TensorBoard shows, under `eval/`.
    var tensorBoardScalars: [(tag: String, value: Double)] {
        let values: [(String, Double?)] = [
            ("frechet_distance", frechetDistance), ("inception_score", inceptionScore),
            ("classes_covered", classesCovered.map(Double.init)), ("class_kl", classKl),
            ("precision", precision), ("recall", recall), ("swd_mean", swdMean),
        ]
        return values.compactMap { name, value in value.map { ("eval/\(name)", $0) } }
    }

    /// The score `best` ranks by: the Fréchet distance, or the SWD without labels.
    var score: Double { frechetDistance ?? swdMean }

    /// The lowest score of the eval records in the metrics file `path` (nil when none).
    static func bestScore(inMetricsFile path: String) throws -> Double? {
        guard fileExists(path) else { return nil }
        return try AtomicFile.read(path).split(separator: 10).compactMap { line in
            try? JSONCoding.decode(EvaluationRecord.self, from: line).score
        }.min()
    }

    /// "FD 12.3  IS 8.1  classes 10/10  KL 0.01  precision 0.7  recall 0.6  SWD 40.2".
    static func summary(_ record: EvaluationRecord) -> String {
        var parts: [String] = []
        if let fd = record.frechetDistance { parts.append("FD \(fixed(fd, 3))") }
        if let inception = record.inceptionScore { parts.append("IS \(fixed(inception, 3))") }
        if let covered = record.classesCovered, let classes = record.classes { parts.append("classes \(covered)/\(classes)") }
        if let kl = record.classKl { parts.append("KL \(fixed(kl, 4))") }
        if let precision = record.precision, let recall = record.recall {
            parts.append("precision \(fixed(precision, 3))  recall \(fixed(recall, 3))")
        }
        parts.append("SWD \(fixed(record.swdMean, 2))")
        return parts.joined(separator: "  ")
    }
}
