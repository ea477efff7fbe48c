/// numpy's .npy format, version 1.0: the magic "\x93NUMPY", version bytes 1 and 0, a UInt16
/// little-endian header length, then a Python dict literal giving the dtype, the order and
/// the shape, padded with spaces and ended by a newline so that the data starts at a
/// multiple of 64 bytes (numpy's own alignment), then the data.
enum NPYArray {
    static func encode(_ tensor: ExportTensor) -> [UInt8] {
        let dimensions = tensor.shape.map(String.init)
        // A Python tuple: "()", "(5,)", "(2, 3)".
        let shape = dimensions.count == 1 ? "(\(dimensions[0]),)" : "(\(dimensions.joined(separator: ", ")))"
        var header = Array("{'descr': '\(tensor.elementType.numpyDescription)', 'fortran_order': False, 'shape': \(shape), }".utf8)
        let prefixLength = 10  // magic, version, header length
        header += [UInt8](repeating: UInt8(ascii: " "), count: (64 - (prefixLength + header.count + 1) % 64) % 64)
        header.append(UInt8(ascii: "\n"))
        precondition(header.count <= Int(UInt16.max), "npy: header of \(tensor.name) too long for version 1.0")

        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        out.reserveCapacity(prefixLength + header.count + tensor.bytes.count)
        CheckpointFile.append(UInt16(header.count), to: &out)
        out += header
        out += tensor.bytes
        return out
    }
}
