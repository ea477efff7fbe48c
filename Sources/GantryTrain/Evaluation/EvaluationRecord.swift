import FoundationEssentials
import GantryData

/// One line of metrics.jsonl written by `--eval-every`: the `ImageMetrics` keys of the
/// generator's samples, flat, plus `kind` ("eval", which tells it from the training lines),
/// `step`, `best` (whether its score is the best so far, the generator now in
/// checkpoints/best.gckpt), `seconds` (the evaluation's own time) and `wall_time`
/// (docs/evaluation.md lists the keys).
public struct EvaluationRecord: Codable, Equatable {
    public var step: Int
    public var metrics: ImageMetrics
    public var best: Bool
    public var seconds: Double
    public var wallTime: Double

    init(step: Int, metrics: ImageMetrics, best: Bool, seconds: Double) {
        self.step = step
        self.metrics = metrics
        self.best = best
        self.seconds = seconds
        wallTime = Date().timeIntervalSince1970
    }

    private enum Keys: String, CodingKey { case kind, step, best, seconds, wallTime }

    /// The metrics' keys and this record's own in one object.
    public func encode(to encoder: Encoder) throws {
        try metrics.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode("eval", forKey: .kind)
        try container.encode(step, forKey: .step)
        try container.encode(best, forKey: .best)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(wallTime, forKey: .wallTime)
    }

    /// Reads an eval line back; a training line (no `kind` "eval") is a decoding error.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        guard try container.decode(String.self, forKey: .kind) == "eval" else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "not an eval record")
        }
        metrics = try ImageMetrics(from: decoder)
        step = try container.decode(Int.self, forKey: .step)
        best = try container.decode(Bool.self, forKey: .best)
        seconds = try container.decode(Double.self, forKey: .seconds)
        wallTime = try container.decode(Double.self, forKey: .wallTime)
    }

    /// The score `best` ranks by: the Fréchet distance, or the SWD without labels.
    var score: Double { metrics.frechetDistance ?? metrics.swdMean }

    /// The scalars TensorBoard shows, under `eval/`.
    var tensorBoardScalars: [(tag: String, value: Double)] {
        let values: [(String, Double?)] = [
            ("frechet_distance", metrics.frechetDistance), ("inception_score", metrics.inceptionScore),
            ("classes_covered", metrics.classesCovered.map(Double.init)), ("class_kl", metrics.classKl),
            ("precision", metrics.precision), ("recall", metrics.recall), ("swd_mean", metrics.swdMean),
        ]
        return values.compactMap { name, value in value.map { ("eval/\(name)", $0) } }
    }

    /// The lowest score of the eval records in the metrics file `path` (nil when none).
    static func bestScore(inMetricsFile path: String) throws -> Double? {
        guard fileExists(path) else { return nil }
        return try AtomicFile.read(path).split(separator: 10).compactMap { line in
            try? JSONCoding.decode(EvaluationRecord.self, from: line).score
        }.min()
    }
}

extension ImageMetrics {
    /// "FD 12.3  IS 8.1  classes 10/10  KL 0.01  precision 0.7  recall 0.6  SWD 40.2", for the console.
    var summary: String {
        var parts: [String] = []
        if let fd = frechetDistance { parts.append("FD \(fixed(fd, 3))") }
        if let inception = inceptionScore { parts.append("IS \(fixed(inception, 3))") }
        if let covered = classesCovered, let classes { parts.append("classes \(covered)/\(classes)") }
        if let kl = classKl { parts.append("KL \(fixed(kl, 4))") }
        if let precision, let recall { parts.append("precision \(fixed(precision, 3))  recall \(fixed(recall, 3))") }
        parts.append("SWD \(fixed(swdMean, 2))")
        return parts.joined(separator: "  ")
    }
}
