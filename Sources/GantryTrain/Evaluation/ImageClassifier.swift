import GantryNN
import GantryData

/// The small convolutional classifier whose penultimate features and class probabilities the
/// image metrics are measured in: Gantry's stand-in for the Inception network of FID and IS,
/// trained on the evaluation data's labels with Gantry's own layers and Adam (nothing downloaded).
///
/// Architecture, for a C × H × W sample: 4×4 stride-2 convolutions (32, then 64, 128…
/// channels, LeakyReLU 0.2) while the side is above 8 and even, then a convolution over the
/// whole remaining plane to `featureCount` channels of 1×1 (ReLU): the features; then a
/// Linear layer to the class logits. 1×28×28 → 14 → 7 → features; 3×32×32 → 16 → 8; 3×64×64 → 32 → 16 → 8.
public final class ImageClassifier {
    /// Dimensions of the feature space (the Fréchet distance's Gaussians live here).
    public static let featureCount = 128
    /// Samples per forward pass, fixed, so that a sample's features do not depend on how a
    /// caller chunks its samples.
    public static let batch = 100
    /// Bumped whenever the architecture or the training recipe changes: part of the cache key.
    static let recipeVersion: UInt32 = 1

    public let shape: Shape
    public let classes: Int
    /// Layers up to the features, and the classification head, as two networks so that the
    /// features (the first network's output) can be read between them.
    let features: Network
    let head: Network
    /// Accuracy on the held-out images, which training never saw.
    public internal(set) var heldOutAccuracy = 0.0
    public internal(set) var heldOutCount = 0

    public init(shape: Shape, classes: Int) {
        precondition(classes >= 2, "ImageClassifier: a classifier needs at least 2 classes, got \(classes)")
        self.shape = shape
        self.classes = classes
        let scratch = ScratchSpace()
        features = Network(name: "classifier", layers: Self.featureLayers(shape), batchSize: Self.batch, scratch: scratch)
        head = Network(name: "classifier head", layers: [Linear(Self.featureCount, classes)], batchSize: Self.batch, scratch: scratch)
    }

    /// Floats a classifier for `shape` and `classes` holds, trained or not (its networks and
    /// their own scratch space): what `--eval-every` adds to a training run's budget.
    public static func memoryFloats(shape: Shape, classes: Int) -> Double {
        let networks = [NetworkFootprint(layers: featureLayers(shape), batch: batch),
                        NetworkFootprint(layers: [Linear(featureCount, classes)], batch: batch)]
        return networks.reduce(0) { $0 + $1.trainingFloats } + NetworkFootprint.scratchFloats(networks)
    }

    /// Built on Gantry's own convolutions whatever the run's `--conv-backend`: the
    /// classifier is the measuring instrument, so a model's numbers must not depend on which
    /// code ran the run, nor on when the classifier was built.
    static func featureLayers(_ input: Shape) -> [Layer] {
        ConvolutionBackend.using(.gantry) { convolutionStack(input) }
    }

    private static func convolutionStack(_ input: Shape) -> [Layer] {
        var layers: [Layer] = [], shape = input, channels = 32
        repeat {
            let conv = Conv2d(input: shape, outChannels: channels, kernel: 4, stride: 2, padding: 1)
            layers += [conv, LeakyReLU(conv.outputShape)]
            shape = conv.outputShape
            channels *= 2
        } while shape.height > 8 && shape.height % 2 == 0 && shape.width % 2 == 0
        precondition(shape.height == shape.width, "ImageClassifier: square samples only, got \(input)")
        let whole = Conv2d(input: shape, outChannels: featureCount, kernel: shape.height)
        return layers + [whole, ReLU(whole.outputShape)]
    }

    /// All parameters, features' then head's, as stored in the cache.
    var parameterCount: Int { features.parameters.count + head.parameters.count }

    /// He-uniform weights U(±√(6/fan_in)), zero biases, deterministic from `seed`.
    func initialize(seed: UInt64) {
        var random = SequentialRandom(seed: seed, stream: CounterRandom.Stream.evaluation, substream: 1)
        for network in [features, head] {
            for entry in network.parameterTensors {
                let bound = entry.tensor.role == .weight ? (6 / Float(entry.tensor.fanIn)).squareRoot() : 0
                for i in entry.range { network.parameters[i] = (2 * random.uniform() - 1) * bound }
            }
        }
    }

    // MARK: - Training

    /// Trains on the samples `trainIndices` of `dataset` (labelled) for a few epochs of Adam on
    /// softmax cross-entropy, then measures the accuracy on `heldOutIndices`. `progress` gets
    /// a line per epoch.
    func train(on dataset: any Dataset, trainIndices: [Int], heldOutIndices: [Int], seed: UInt64,
               progress: (String) -> Void) {
        initialize(seed: seed)
        let n = Self.batch
        let adam = Adam(parameterCount: features.parameters.count, learningRate: 1e-3, beta1: 0.9)
        let headAdam = Adam(parameterCount: head.parameters.count, learningRate: 1e-3, beta1: 0.9)
        let input = FloatBuffer(count: shape.count * n)
        let logitGradient = FloatBuffer(count: classes * n)
        var labels = [Int](repeating: 0, count: n)
        // About 20,000 sample presentations, between 2 and 10 epochs: enough for a few
        // points of error on digits, and a few seconds of one core.
        let epochs = max(2, min(10, (20_000 + trainIndices.count - 1) / max(trainIndices.count, 1)))
        var random = SequentialRandom(seed: seed, stream: CounterRandom.Stream.evaluation, substream: 2)
        var order = trainIndices
        for epoch in 1...epochs {
            order.shuffle(using: &random)
            var lossSum = 0.0, correct = 0, seen = 0
            for first in stride(from: 0, to: order.count - n + 1, by: n) {
                let batch = order[first..<first + n]
                dataset.writeBatch(indices: batch, into: input.pointer)
                for (j, index) in batch.enumerated() { labels[j] = dataset.label(ofSample: index)! }
                // (1) Forward: features, then logits; loss = mean CE(logits, labels).
                let feature = features.forward(input.pointer, training: true)
                let logits = head.forward(feature, training: true)
                let (loss, right) = SoftmaxCrossEntropy.mean(logits: logits, labels: labels, classes: classes, count: n,
                                                             gradient: logitGradient.pointer)
                // (2) Backward through the head into the features, then the feature layers.
                features.zeroGradients()
                head.zeroGradients()
                let featureGradient = head.backward(logitGradient.pointer, accumulateParameterGradients: true, needInputGradient: true)!
                features.backward(featureGradient, accumulateParameterGradients: true, needInputGradient: false)
                // (3) Adam on both.
                adam.update(parameters: features.parameters.pointer, gradients: features.gradients.pointer)
                headAdam.update(parameters: head.parameters.pointer, gradients: head.gradients.pointer)
                lossSum += loss * Double(n)
                correct += right
                seen += n
            }
            progress("classifier epoch \(epoch)/\(epochs): loss \(fixed(lossSum / Double(max(seen, 1)), 3)), "
                     + "training accuracy \(fixed(Double(correct) / Double(max(seen, 1)), 3))")
        }
        var right = 0
        forEachBatch(of: dataset, indices: heldOutIndices) { indices, _, logits in
            for (j, index) in indices.enumerated() where predictedClass(logits, sample: j) == dataset.label(ofSample: index) {
                right += 1
            }
        }
        heldOutCount = heldOutIndices.count
        heldOutAccuracy = heldOutCount == 0 ? 0 : Double(right) / Double(heldOutCount)
    }

    // MARK: - Scoring

    /// Runs the classifier (evaluation mode) over `input`, a full batch of `batch` samples
    /// channel-major, and returns the features (`featureCount × batch`) and logits (`classes × batch`).
    func score(_ input: UnsafePointer<Float>) -> (features: UnsafePointer<Float>, logits: UnsafePointer<Float>) {
        let feature = features.forward(input, training: false)
        return (feature, head.forward(feature, training: false))
    }

    /// Scores the samples `indices` of `dataset` a batch at a time (the last one padded).
    func forEachBatch(of dataset: any Dataset, indices: [Int],
                      _ body: (ArraySlice<Int>, UnsafePointer<Float>, UnsafePointer<Float>) -> Void) {
        let input = FloatBuffer(count: shape.count * Self.batch)
        for first in stride(from: 0, to: indices.count, by: Self.batch) {
            let batch = indices[first..<min(first + Self.batch, indices.count)]
            input.zero()
            let padded = Array(batch) + Array(repeating: batch.first!, count: Self.batch - batch.count)
            dataset.writeBatch(indices: padded, into: input.pointer)
            let (feature, logits) = score(input.pointer)
            body(batch, feature, logits)
        }
    }

    /// The class with the largest logit of sample `j` of a scored batch.
    func predictedClass(_ logits: UnsafePointer<Float>, sample j: Int) -> Int {
        var best = 0
        for c in 1..<classes where logits[c * Self.batch + j] > logits[best * Self.batch + j] { best = c }
        return best
    }
}
