/// CRC-32C (Castagnoli), the checksum of TFRecord framing. Not zlib's CRC-32: the
/// polynomial differs (0x1EDC6F41, reflected 0x82F63B78), so CZlib's crc32 cannot serve.
enum CRC32C {
    /// One entry per byte value: the CRC of that byte alone, reflected (LSB first).
    private static let table: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return ~crc
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { checksum($0) } }

    /// The CRC as TFRecord stores it: rotated and offset, because a CRC computed over data
    /// that itself holds CRCs is weak (TensorFlow's crc32c::Mask).
    static func masked(_ bytes: [UInt8]) -> UInt32 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
