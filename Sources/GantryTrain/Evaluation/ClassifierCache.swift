import Glibc
import GantryData
import GantryNN

/// Where trained evaluation classifiers are kept, one file per (training images and labels,
/// architecture, recipe), so that a dataset's classifier is trained once per machine.
///
/// The file, `<key as 16 hex digits>.gclassifier`, little-endian:
/// `"GCLF"`, u32 format version, u64 key, u32 classes, u32 parameter count, f64 held-out
/// accuracy, u64 held-out count, the parameters (f32, features' then head's), u32 CRC32C of
/// everything before it. Written atomically; a file that is short, long, of another key or
/// shape, or fails its CRC is reported and retrained over, never trusted.
public struct ClassifierCache {
    public let directory: String

    /// `GANTRY_CLASSIFIER_CACHE`, else `$XDG_CACHE_HOME/gantry/classifiers`, else `~/.cache/gantry/classifiers`.
    public static var defaultDirectory: String {
        let environment = { (name: String) -> String? in getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } }
        if let explicit = environment("GANTRY_CLASSIFIER_CACHE") { return explicit }
        let base = environment("XDG_CACHE_HOME") ?? "\(environment("HOME") ?? ".")/.cache"
        return "\(base)/gantry/classifiers"
    }

    public init(directory: String = ClassifierCache.defaultDirectory) { self.directory = directory }

    static let magic: [UInt8] = Array("GCLF".utf8)

    func path(key: UInt64) -> String {
        let digits = String(key, radix: 16)
        return "\(directory)/\(String(repeating: "0", count: 16 - digits.count))\(digits).gclassifier"
    }

    /// The classifier for `dataset`'s training split: loaded when a good file holds it, else
    /// trained and stored. `progress` gets one line per step taken.
    public func classifier(for dataset: any Dataset, split: EvaluationSplit, progress: (String) -> Void) throws -> ImageClassifier {
        let shape = Shape(channels: dataset.shape.channels, height: dataset.shape.height, width: dataset.shape.width)
        let classifier = ImageClassifier(shape: shape, classes: dataset.classNames.count)
        let key = Self.key(of: dataset, indices: split.training, classes: classifier.classes)
        let file = path(key: key)
        if fileExists(file) {
            do {
                try load(file, key: key, into: classifier)
                progress("classifier: \(file) (held-out accuracy \(fixed(classifier.heldOutAccuracy, 4)) on \(classifier.heldOutCount) images)")
                return classifier
            } catch {
                progress("classifier: \(error); training a new one")
            }
        }
        progress("classifier: training on \(split.training.count) images of \(dataset.name), \(classifier.classes) classes")
        classifier.train(on: dataset, trainIndices: split.training, heldOutIndices: split.heldOut, seed: key, progress: progress)
        try makeDirectories(directory)
        try AtomicFile.write(encode(classifier, key: key), to: file)
        progress("classifier: held-out accuracy \(fixed(classifier.heldOutAccuracy, 4)) on \(classifier.heldOutCount) images; saved to \(file)")
        return classifier
    }

    /// A 64-bit FNV-1a hash of everything the classifier is trained from: the recipe version,
    /// the sample shape, the class count, then each training sample's floats and label.
    static func key(of dataset: any Dataset, indices: [Int], classes: Int) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ word: UInt64) {
            for byte in 0..<8 {
                hash ^= (word >> (8 * UInt64(byte))) & 0xff
                hash &*= 0x100_0000_01b3
            }
        }
        for word in [UInt64(ImageClassifier.recipeVersion), UInt64(dataset.shape.channels), UInt64(dataset.shape.height),
                     UInt64(dataset.shape.width), UInt64(classes), UInt64(indices.count)] { mix(word) }
        var sample = [Float](repeating: 0, count: dataset.shape.count)
        for index in indices {
            sample.withUnsafeMutableBufferPointer { dataset.write(sample: index, into: $0.baseAddress!, channelStride: dataset.shape.spatial) }
            for value in sample { mix(UInt64(value.bitPattern)) }
            mix(UInt64(bitPattern: Int64(dataset.label(ofSample: index) ?? -1)))
        }
        return hash
    }

    func encode(_ classifier: ImageClassifier, key: UInt64) -> [UInt8] {
        var bytes = Self.magic
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        put(UInt32(1))
        put(key)
        put(UInt32(classifier.classes))
        put(UInt32(classifier.parameterCount))
        put(classifier.heldOutAccuracy.bitPattern)
        put(UInt64(classifier.heldOutCount))
        for network in [classifier.features, classifier.head] {
            for i in 0..<network.parameters.count { put(network.parameters[i].bitPattern) }
        }
        put(CRC32C.checksum(bytes))
        return bytes
    }

    func load(_ file: String, key: UInt64, into classifier: ImageClassifier) throws {
        let bytes = try AtomicFile.read(file)
        let expectedSize = 4 + 4 + 8 + 4 + 4 + 8 + 8 + 4 * classifier.parameterCount + 4
        let corrupt = { (why: String) in GantryError("classifier cache file \(file) is not usable (\(why))") }
        guard bytes.count == expectedSize else { throw corrupt("\(bytes.count) bytes, expected \(expectedSize)") }
        var reader = ByteReader(bytes: bytes, source: file)
        guard try reader.take(4, "magic") == Self.magic, try reader.read() as UInt32 == 1 else { throw corrupt("not a version-1 classifier file") }
        let crc = bytes[(bytes.count - 4)...].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }.littleEndian
        guard CRC32C.checksum(Array(bytes[..<(bytes.count - 4)])) == crc else { throw corrupt("CRC mismatch") }
        guard try reader.read() as UInt64 == key, try reader.read() as UInt32 == UInt32(classifier.classes),
              try reader.read() as UInt32 == UInt32(classifier.parameterCount) else { throw corrupt("made for other data") }
        let accuracy = Double(bitPattern: try reader.read() as UInt64)
        let heldOut = Int(try reader.read() as UInt64)
        for network in [classifier.features, classifier.head] {
            for i in 0..<network.parameters.count { network.parameters[i] = Float(bitPattern: try reader.read() as UInt32) }
        }
        let finite = [classifier.features, classifier.head].allSatisfy { network in
            (0..<network.parameters.count).allSatisfy { network.parameters[$0].isFinite }
        }
        guard finite, (0...1).contains(accuracy) else { throw corrupt("non-finite values") }
        classifier.heldOutAccuracy = accuracy
        classifier.heldOutCount = heldOut
    }
}
