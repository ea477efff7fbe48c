import CZlib

/// numpy's .npz format: a zip archive holding one `NAME.npy` (NPYArray) per array, as
/// `numpy.savez` writes it. Entries are stored without compression (weights and samples
/// barely compress), each with its CRC32 (zlib); no ZIP64, so the archive must stay under
/// 4 GiB. Timestamps are fixed (1980-01-01) so that the same arrays give the same bytes.
///
/// Layout (little-endian): per entry a local file header and the data; then the central
/// directory, one header per entry pointing back at its local header; then the
/// end-of-central-directory record.
public enum NPZFile {
    public static func encode(_ tensors: [ExportTensor], source: String) throws -> [UInt8] {
        var out: [UInt8] = []
        var directory: [UInt8] = []
        for tensor in tensors {
            let name = Array("\(tensor.name).npy".utf8)
            let data = NPYArray.encode(tensor)
            let localHeaderOffset = out.count
            guard localHeaderOffset + 30 + name.count + data.count < Int(UInt32.max) else {
                throw GantryError("\(source): the arrays exceed the 4 GiB a .npz without ZIP64 can hold; write fewer samples")
            }
            let crc = data.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
            // The fields both headers share, from "version needed" to the name length.
            var common: [UInt8] = []
            for field: UInt16 in [20, 0, 0, 0, dosDate1980] { CheckpointFile.append(field, to: &common) }  // version, flags, stored, time, date
            for field: UInt32 in [crc, UInt32(data.count), UInt32(data.count)] { CheckpointFile.append(field, to: &common) }
            CheckpointFile.append(UInt16(name.count), to: &common)

            CheckpointFile.append(UInt32(0x0403_4B50), to: &out)      // local file header
            out += common
            CheckpointFile.append(UInt16(0), to: &out)                // extra field length
            out += name
            out += data

            CheckpointFile.append(UInt32(0x0201_4B50), to: &directory)  // central directory header
            CheckpointFile.append(UInt16(20), to: &directory)           // version made by
            directory += common
            for field: UInt16 in [0, 0, 0, 0] { CheckpointFile.append(field, to: &directory) }  // extra, comment, disk, internal attributes
            CheckpointFile.append(UInt32(0), to: &directory)            // external attributes
            CheckpointFile.append(UInt32(localHeaderOffset), to: &directory)
            directory += name
        }
        let directoryOffset = out.count
        guard directoryOffset + directory.count < Int(UInt32.max), tensors.count < Int(UInt16.max) else {
            throw GantryError("\(source): the arrays exceed the 4 GiB a .npz without ZIP64 can hold; write fewer samples")
        }
        out += directory
        CheckpointFile.append(UInt32(0x0605_4B50), to: &out)          // end of central directory
        for field: UInt16 in [0, 0, UInt16(tensors.count), UInt16(tensors.count)] { CheckpointFile.append(field, to: &out) }
        CheckpointFile.append(UInt32(directory.count), to: &out)
        CheckpointFile.append(UInt32(directoryOffset), to: &out)
        CheckpointFile.append(UInt16(0), to: &out)                    // comment length
        return out
    }

    /// MS-DOS date of 1980-01-01: (year − 1980) << 9 | month << 5 | day. (Time 00:00 is 0.)
    private static let dosDate1980: UInt16 = 1 << 5 | 1
}
