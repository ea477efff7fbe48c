/// The safetensors format (huggingface/safetensors): a UInt64 little-endian header length N,
/// N bytes of JSON, then the tensors' bytes back to back.
///
/// The JSON maps each tensor's name to `{"dtype", "shape", "data_offsets": [begin, end]}`,
/// offsets relative to the start of the data, plus `"__metadata__"`: a map of strings. Like
/// the reference writer, the header is padded with spaces to a multiple of 8 bytes and the
/// tensors are laid out by element size, largest first, then by name, so that every tensor
/// starts at a multiple of its element size (readers may map the file and read in place).
public enum SafetensorsFile {
    public static func encode(_ tensors: [ExportTensor], metadata: [String: String]) throws -> [UInt8] {
        precondition(Set(tensors.map(\.name)).count == tensors.count, "safetensors: duplicate tensor names")
        precondition(!tensors.contains { $0.name == "__metadata__" }, "safetensors: __metadata__ is not a tensor name")
        let ordered = tensors.sorted { a, b in
            a.elementType.byteCount != b.elementType.byteCount ? a.elementType.byteCount > b.elementType.byteCount : a.name < b.name
        }
        var header: [String: JSONValue] = ["__metadata__": .object(metadata.mapValues(JSONValue.string))]
        var offset = 0
        for tensor in ordered {
            header[tensor.name] = .object(["dtype": .string(tensor.elementType.safetensorsName),
                                           "shape": .array(tensor.shape.map(JSONValue.integer)),
                                           "data_offsets": .array([.integer(offset), .integer(offset + tensor.bytes.count)])])
            offset += tensor.bytes.count
        }
        var json = try JSONValue.object(header).encoded()
        json += [UInt8](repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8)

        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + offset)
        CheckpointFile.append(UInt64(json.count), to: &out)
        out += json
        for tensor in ordered { out += tensor.bytes }
        return out
    }
}
