import GantryData

/// Opens `--data SPEC` within this rank's memory budget (docs/reliability.md): the one place
/// `train` and `prepare` read a dataset. `share` is the part of the budget the dataset may
/// hold. A reader's refusal becomes one `--data SPEC: …` line: a usage error for an unknown
/// spec, a failure for a file that cannot be used.
public func openDataset(_ spec: String, seed: UInt64, sampleShape: SampleShape?, worldSize: Int, share: Double = 1,
                        progress: (String) -> Void) throws -> any Dataset {
    do {
        let limit = try MemoryLimit.current(worldSize: worldSize).bytesPerRank
        return try makeDataset(spec, seed: seed, sampleShape: sampleShape, maximumBytes: limit < 9e18 ? Int(limit * share) : .max,
                               progress: progress)
    } catch let error as DatasetError {
        let line = "--data \(printable(spec)): \(printable("\(error)", limit: 500))"
        if case .unknownDataset = error { throw GantryError.usage(line) }
        throw GantryError(line)
    }
}
