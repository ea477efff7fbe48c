import GantryData
import GantryTrain

/// `gantry eval` of an image model: the model's metrics beside the floor of held-out real
/// images (docs/evaluation.md).
struct EvalImages {
    let trained: TrainedGenerator
    let dataSpec: String?
    let count: Int
    let seed: UInt64
    let requireClassMetrics: Bool
    let cacheDirectory: String?
    let json: Bool

    func run() throws {
        let dataset = try trained.evaluationDataset(dataSpec)
        if requireClassMetrics && !dataset.isLabelled {
            throw GantryError.usage("--class-metrics needs labels, and \(dataset.name) has none; leave it out to measure SWD only")
        }
        let progress = { (line: String) in if !json { print(line) } }
        let evaluator = try ImageEvaluator(dataset: dataset, cache: ClassifierCache(directory: cacheDirectory ?? ClassifierCache.defaultDirectory),
                                           progress: progress)
        let metrics = trained.evaluateImages(count: count, seed: seed, evaluator: evaluator)
        if json {
            var object: [String: JSONValue] = [
                "checkpoint": .string(trained.path), "step": .integer(trained.checkpoint.header.step), "dataset": .string(dataset.name),
                "generator": .string(trained.usesAverage ? "moving average" : "trained"),
                "model": try JSONValue(encoding: metrics), "floor": try JSONValue(encoding: evaluator.floor),
            ]
            if let classifier = evaluator.classifier {
                object["classifier_held_out_accuracy"] = .number(classifier.heldOutAccuracy)
                object["classifier_held_out_count"] = .integer(classifier.heldOutCount)
            }
            print(String(decoding: try JSONValue.object(object).encoded(), as: UTF8.self))
            return
        }
        print("\(trained.path) (step \(trained.checkpoint.header.step), \(trained.generatorName)) against \(dataset.name):")
        print(Self.table(model: metrics, floor: evaluator.floor))
        if evaluator.classifier == nil { print("(\(dataset.name) has no labels: SWD only)") }
    }

    /// One line per metric: the model's value, then the held-out real images' (the floor).
    static func table(model: ImageMetrics, floor: ImageMetrics) -> String {
        func number(_ value: Double?) -> String { value.map { fixed($0, 4) } ?? "-" }
        var rows: [(String, String, String)] = [("images", "\(model.samples)", "\(floor.samples)")]
        if model.frechetDistance != nil {
            rows += [("Frechet distance (features)", number(model.frechetDistance), number(floor.frechetDistance)),
                     ("Inception-Score analogue", number(model.inceptionScore), number(floor.inceptionScore)),
                     ("classes with >= 1%", "\(model.classesCovered!) of \(model.classes!)", "\(floor.classesCovered!) of \(floor.classes!)"),
                     ("class KL (gen || data)", number(model.classKl), number(floor.classKl)),
                     ("precision (k=3, \(model.pointSetSize))", number(model.precision), number(floor.precision)),
                     ("recall (k=3, \(model.pointSetSize))", number(model.recall), number(floor.recall))]
        }
        rows.append(("SWD x1e3 (mean of \(model.swd.count) levels)", number(model.swdMean), number(floor.swdMean)))
        let width = rows.map(\.0.count).max()!
        let header = "  " + "metric".leftAligned(width) + "  " + "model".rightAligned(12) + "  " + "floor (held-out real)".rightAligned(22)
        return ([header] + rows.map { "  " + $0.0.leftAligned(width) + "  " + $0.1.rightAligned(12) + "  " + $0.2.rightAligned(22) })
            .joined(separator: "\n")
    }
}
