/// One named array in a file that other tools read (safetensors, .npz): its element type,
/// its shape (row-major, the last dimension varying fastest) and its little-endian bytes.
public struct ExportTensor {
    /// The element types Gantry writes, with their spelling in each format.
    public enum ElementType {
        case float32, int64

        public var byteCount: Int { self == .float32 ? 4 : 8 }
        /// safetensors' dtype.
        var safetensorsName: String { self == .float32 ? "F32" : "I64" }
        /// numpy's dtype string, little-endian.
        var numpyDescription: String { self == .float32 ? "<f4" : "<i8" }
    }

    public let name: String
    public let elementType: ElementType
    /// `[]` for a scalar (a 0-dimensional array of one element).
    public let shape: [Int]
    public let bytes: [UInt8]

    public var elementCount: Int { shape.reduce(1, *) }

    /// `values` in row-major order for `shape`.
    public init(name: String, shape: [Int], values: some Collection<Float>) {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 * values.count)
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
        }
        self.init(name: name, elementType: .float32, shape: shape, bytes: bytes)
    }

    /// A 0-dimensional int64 array.
    public init(name: String, scalar: Int64) {
        self.init(name: name, elementType: .int64, shape: [], bytes: withUnsafeBytes(of: scalar.littleEndian) { Array($0) })
    }

    private init(name: String, elementType: ElementType, shape: [Int], bytes: [UInt8]) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
        self.bytes = bytes
    }

    /// The same array under another name (a prefix for the networks of one file).
    public func renamed(_ newName: String) -> ExportTensor {
        ExportTensor(name: newName, elementType: elementType, shape: shape, bytes: bytes)
    }
}
