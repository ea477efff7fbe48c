/// A fixed-size, zero-initialised heap array of Floats, allocated once and freed with its owner.
///
/// Networks, optimisers and workspaces hold these so that a training step never allocates:
/// everything a step touches exists from the moment the model is built.
public final class FloatBuffer {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        precondition(count >= 0, "FloatBuffer count must be non-negative")
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    public subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public func copy(from source: UnsafePointer<Float>) { pointer.update(from: source, count: count) }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public func load(_ values: [Float]) {
        precondition(values.count == count, "FloatBuffer.load: \(values.count) values for \(count) slots")
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }
}
