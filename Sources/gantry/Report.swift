import ArgumentParser
import GantryTrain

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a self-contained HTML report of a run: curves, samples, configuration and resumptions.",
        discussion: "The page needs no network and no JavaScript; plots are inline SVG, pictures are embedded.")

    @Argument(help: ArgumentHelp("The run directory (--out of gantry train).", valueName: "run"))
    var runDirectory: String

    @Option(help: "The HTML file to write (default: RUN/report.html).")
    var out: String?

    func run() throws {
        let history = try RunHistory(directory: runDirectory)
        let path = out ?? "\(runDirectory)/report.html"
        try AtomicFile.write(Array(try ReportPage.html(for: history).utf8), to: path)
        print("wrote \(path): \(history.recordCount) records to step \(history.lastStep), \(history.samples.count) sample pictures")
    }
}
