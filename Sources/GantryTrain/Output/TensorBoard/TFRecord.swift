/// The framing of one record of a TFRecord file (TensorBoard's event files):
///
///     uint64 LE   length of the payload
///     uint32 LE   masked CRC-32C of those 8 length bytes
///     bytes       the payload (one serialised Event)
///     uint32 LE   masked CRC-32C of the payload
///
/// The reader checks both CRCs, so a record cut short by a crash is detected, not misread.
enum TFRecord {
    static func frame(_ payload: [UInt8]) -> [UInt8] {
        let length = littleEndianBytes(UInt64(payload.count))
        var record = length
        record.reserveCapacity(8 + 4 + payload.count + 4)
        record += littleEndianBytes(CRC32C.masked(length))
        record += payload
        record += littleEndianBytes(CRC32C.masked(payload))
        return record
    }
}
