import ArgumentParser
import FoundationEssentials
import Glibc
import GantryData
import GantryTrain

struct Prepare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode a dataset once into a packed file that `--data pack:FILE` maps and every rank shares.",
        discussion: """
        The pack holds the samples as bytes with CRC32 checksums, the class names and the labels \
        (docs/pack-format.md); training on it gives the same batches as training on SPEC. \
        With --format cifar10, --to is a directory that gets CIFAR-10's binary batches instead \
        (3x32x32 samples, at most 10 classes), for `--data cifar10:DIR` and for other tools.
        """)

    /// What `prepare` writes.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        /// A .gpack file (docs/pack-format.md).
        case pack
        /// A directory of CIFAR-10 binary batches, data_batch_1.bin … data_batch_5.bin and
        /// batches.meta.txt (docs/data.md).
        case cifar10
    }

    @Option(help: "The dataset to pack, as for gantry train --data (folder:DIR, idx:PATH, …).")
    var data: String

    @Option(help: "The pack file to write (.gpack), or the directory to write with --format cifar10.")
    var to: String

    @Option(help: "pack: one .gpack file; cifar10: CIFAR-10 binary batches in the directory --to.")
    var format: Format = .pack

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
        if !force && fileExists(to) {
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
        let bytes = try format == .pack ? writePack(dataset) : writeCIFAR10(dataset)
        let classes = dataset.isLabelled ? "\(dataset.classNames.count) classes" : "unlabelled"
        print("gantry: wrote \(to): \(dataset.count) samples of \(dataset.shape), \(classes), \(bytes) bytes, "
              + "in \(fixed(Date().timeIntervalSince(start), 1)) s")
    }

    /// The pack file; the bytes written.
    private func writePack(_ dataset: any Dataset) throws -> Int {
        let (header, pixels) = PackLayout.encode(dataset)
        do {
            try AtomicFile.write([header, pixels], to: to, replacing: force)
        } catch let error as GantryError {
            throw GantryError("cannot write --to \(to): \(error)")
        }
        return header.count + pixels.count
    }

    /// The directory of CIFAR-10 batches (each file written atomically); the bytes written.
    private func writeCIFAR10(_ dataset: any Dataset) throws -> Int {
        let cifarShape = SampleShape(channels: 3, height: CIFAR10.side, width: CIFAR10.side)
        guard dataset.shape == cifarShape else {
            throw GantryError.usage("--format cifar10 writes \(cifarShape) images; --data \(printable(data)) has \(dataset.shape) "
                + "(color32:… gives 3x32x32, and a folder: takes --size 32)")
        }
        guard dataset.classNames.count <= CIFAR10.classCount else {
            throw GantryError.usage("--format cifar10 holds at most \(CIFAR10.classCount) classes; --data \(printable(data)) has \(dataset.classNames.count)")
        }
        guard dataset.count >= CIFAR10.batchNames.count else {
            throw GantryError.usage("--format cifar10 writes \(CIFAR10.batchNames.count) batches of at least one image; --data \(printable(data)) has \(dataset.count)")
        }
        if fileExists(to), !isDirectory(to) {
            throw GantryError.usage("--to \(to) is a file; --format cifar10 writes a directory")
        }
        let files = CIFAR10.files(of: dataset)
        // The class names must read back as written: checked by the reader's own parser.
        if let meta = files.first(where: { $0.name == CIFAR10.metaName }) {
            do {
                let names = try CIFAR10.parseClassNames(meta.bytes, path: to + "/" + CIFAR10.metaName)
                guard names == dataset.classNames else { throw GantryError("names with blanks at their ends") }
            } catch {
                throw GantryError.usage("--format cifar10 names the classes one a line; the class names of --data \(printable(data)) "
                    + "cannot be written so (\(error))")
            }
        }
        try makeDirectories(to)
        do {
            for file in files { try AtomicFile.write(file.bytes, to: to + "/" + file.name) }
        } catch let error as GantryError {
            throw GantryError("cannot write --to \(to): \(error)")
        }
        // A replaced directory keeps no class names of the data it held before.
        if !files.contains(where: { $0.name == CIFAR10.metaName }) { unlink(to + "/" + CIFAR10.metaName) }
        return files.reduce(0) { $0 + $1.bytes.count }
    }
}
