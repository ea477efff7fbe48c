import GantryData
import GantryNN

extension TrainedGenerator {
    /// The data an image evaluation compares this generator with: `spec`, or the dataset the
    /// run trained on. Refused (usage) for a 2-D model, or for data of another sample shape.
    public func evaluationDataset(_ spec: String?) throws -> any Dataset {
        guard model != .mlp else {
            throw GantryError.usage("--data and --class-metrics apply to image models; \(path) holds a 2-D model (mlp), measured by mode coverage")
        }
        let name = spec ?? checkpoint.header.dataset
        let dataset = try makeDataset(name, seed: checkpoint.header.random.seed)
        let wanted = SampleShape(channels: model.sampleShape.channels, height: model.sampleShape.height, width: model.sampleShape.width)
        guard dataset.shape == wanted else {
            throw GantryError.usage("--data \(name) has samples of \(dataset.shape), but \(path)'s \(model.rawValue) generates \(wanted)")
        }
        return dataset
    }

    /// The image metrics of `count` samples from the evaluation stream of `seed`, generated
    /// and scored a chunk at a time.
    public func evaluateImages(count: Int, seed: UInt64, evaluator: ImageEvaluator) -> ImageMetrics {
        evaluator.measure(count: count) { add in
            forEachChunk(count: count, noise: .stream(seed: seed)) { chunk, output in add(output, chunk.count) }
        }
    }
}
