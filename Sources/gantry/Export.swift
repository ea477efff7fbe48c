import ArgumentParser
import GantryTrain

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a checkpoint's generator (and discriminator) as a PyTorch state dict in safetensors or .npz.",
        discussion: "docs/export.md gives the PyTorch modules to load the file into, and its names and shapes.")

    @OptionGroup var source: CheckpointOption

    @Option(help: "The file format.")
    var format: ExportFormat

    @Option(help: "The file to write.")
    var out: String

    @Flag(help: "Write D too; the names then start with generator. and discriminator.")
    var withDiscriminator = false

    func run() throws {
        let path = try CheckpointDirectory.resolve(source.checkpoint)
        let export = try ModelExport(checkpoint: Checkpoint.load(path), includesDiscriminator: withDiscriminator, rawG: source.rawG)
        do {
            try export.write(format, to: out)
        } catch let error as GantryError {
            throw GantryError("cannot write --out \(out): \(error)")
        }
        let generator = export.exportsAverage ? "G (moving average)" : "G (trained weights)"
        let networks = withDiscriminator ? "\(generator) and D" : generator
        print("wrote \(networks) of \(export.model.rawValue) from \(path) (step \(export.checkpoint.header.step)), "
              + "\(export.tensors.count) tensors, to \(out) (\(format.rawValue))")
    }
}
