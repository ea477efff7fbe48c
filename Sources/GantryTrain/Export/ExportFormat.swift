import ArgumentParser

/// The file formats `gantry export` writes (docs/export.md).
public enum ExportFormat: String, CaseIterable, ExpressibleByArgument {
    /// huggingface's safetensors, with Gantry's version, the model and the step as metadata.
    case safetensors
    /// numpy's .npz (metadata has no place there: every entry is an array).
    case npz

    public func encode(_ tensors: [ExportTensor], metadata: [String: String], source: String) throws -> [UInt8] {
        switch self {
        case .safetensors: return try SafetensorsFile.encode(tensors, metadata: metadata)
        case .npz: return try NPZFile.encode(tensors, source: source)
        }
    }
}
