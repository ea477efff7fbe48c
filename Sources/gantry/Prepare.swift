import ArgumentParser
import Foundation
import GantryData
import GantryTrain

struct Prepare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode a dataset once into a packed file that `--data pack:FILE` maps and every rank shares.",
        discussion: """
        The pack holds the samples as bytes with CRC32 checksums, the class names and the labels \
        (docs/pack-format.md); training on it gives the same batches as training on SPEC.
        """)

    @Option(help: "The dataset to pack, as for gantry train --data (folder:DIR, idx:PATH, …).")
    var data: String

    @Option(help: "The pack file to write (.gpack).")
    var to: String

    @Option(help: "The side of the square samples a folder's images are fitted to (the model's: 64 for dcgan64). Needed for folder:.")
    var size: Int?

    @Option(help: "The channels a folder's images are converted to: 1 (gray) or 3 (colour, when not given).")
    var channels: Int?

    @Option(help: "Seed of a synthetic dataset (glyphs, color32:).")
    var seed: UInt64 = 1

    @Flag(help: "Replace --to if it exists.")
    var force = false

    func validate() throws {
        if let size, !(1...4096).contains(size) { throw ValidationError("--size must be in 1...4096, got \(size)") }
        if let channels, channels != 1 && channels != 3 { throw ValidationError("--channels must be 1 or 3, got \(channels)") }
    }

    func run() throws {
        // Before the slow part: an existing pack is never replaced unless asked.
        if !force && FileManager.default.fileExists(atPath: to) {
            throw GantryError.usage("--to \(to) already exists; pass --force to replace it")
        }
        let isFolder = data.hasPrefix("folder:")
        if isFolder && size == nil { throw GantryError.usage("--data \(data): a folder of images needs --size (the model's sample size)") }
        let requested = size.map { SampleShape(channels: channels ?? 3, height: $0, width: $0) }
        let start = Date()
        // Half the budget: the decoded samples and the pack's bytes are both held while writing.
        let dataset = try openDataset(data, seed: seed, sampleShape: requested, worldSize: 1, share: 0.5,
                                      progress: { print("gantry: \($0)"); fflush(stdout) })
        if !isFolder, size != nil || channels != nil, let requested, dataset.shape != requested {
            throw GantryError.usage("--data \(printable(data)) has samples of \(dataset.shape), not the \(requested) of --size/--channels (which only fit a folder:)")
        }
        guard dataset.shape.height > 1 || dataset.shape.width > 1 else {
            throw GantryError.usage("--data \(printable(data)) is not a dataset of images (its samples are \(dataset.shape))")
        }
        let (header, pixels) = PackLayout.encode(dataset)
        do {
            try AtomicFile.write([header, pixels], to: to, replacing: force)
        } catch let error as GantryError {
            throw GantryError("cannot write --to \(to): \(error)")
        }
        let classes = dataset.isLabelled ? "\(dataset.classNames.count) classes" : "unlabelled"
        print("gantry: wrote \(to): \(dataset.count) samples of \(dataset.shape), \(classes), \(header.count + pixels.count) bytes, "
              + String(format: "in %.1f s", Date().timeIntervalSince(start)))
    }
}
