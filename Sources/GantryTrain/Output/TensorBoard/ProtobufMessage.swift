/// A protocol-buffer message being encoded, field by field, in the wire format
/// (protobuf.dev/programming-guides/encoding): each field is a key, (field number << 3) |
/// wire type, followed by its value. Only what TensorBoard's events need is here; the
/// field numbers live with the messages that use them (TensorBoardEvent).
struct ProtobufMessage {
    private(set) var bytes: [UInt8] = []

    private enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    /// int32, int64, enum and bool fields. A negative value takes ten bytes, as protobuf's
    /// int64 does (two's complement, sign-extended to 64 bits).
    mutating func varint(_ field: Int, _ value: Int64) {
        key(field, .varint)
        appendVarint(UInt64(bitPattern: value))
    }

    mutating func double(_ field: Int, _ value: Double) {
        key(field, .fixed64)
        bytes += littleEndianBytes(value.bitPattern)
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        bytes += littleEndianBytes(value.bitPattern)
    }

    /// bytes and string fields (a string is its UTF-8).
    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes += value
    }

    mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    /// An embedded message: length-delimited like bytes, its content built by `build`.
    mutating func message(_ field: Int, _ build: (inout ProtobufMessage) -> Void) {
        var inner = ProtobufMessage()
        build(&inner)
        bytes(field, inner.bytes)
    }

    private mutating func key(_ field: Int, _ type: WireType) {
        appendVarint(UInt64(field) << 3 | type.rawValue)
    }

    /// Seven bits per byte, least significant group first; the high bit says "more follows".
    private mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }
}

/// The bytes of an integer, least significant first (protobuf's fixed fields, TFRecord's framing).
func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
}
