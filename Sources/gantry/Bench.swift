import ArgumentParser
import Foundation
import GantryNN
import GantryTrain

/// `gantry bench`: measurements of Gantry's own speed.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Gantry's speed.",
        subcommands: [BenchStep.self, BenchAllreduce.self])
}

struct BenchStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Time training iterations on synthetic data and compare them with the sgemm peak.",
        discussion: """
        Builds the model and runs the trainer's own iteration (D phase, G phase, allreduces, Adam) \
        on random images held in memory, after measuring OpenBLAS sgemm at n = 1024 on the same \
        threads (the peak: the best of 10 calls). Reports images/s, milliseconds per iteration \
        and per part, FLOPs per image (counted per layer), achieved GFLOP/s, the share of the \
        sgemm peak, and the peak resident memory. Times are medians over the timed iterations. \
        Runs alone or under mpirun (then every rank trains, and rank 0 reports its own figures).
        """)

    @Option(help: "Model: \(ModelKind.names).")
    var model = "dcgan28"

    @Option(help: "Samples per rank.")
    var batch = 64

    @Option(help: "Timed iterations.")
    var steps = 20

    @Option(help: "Untimed iterations before them.")
    var warmup = 3

    @Option(help: "BLAS threads.")
    var threads = 1

    @OptionGroup var synchronization: SynchronizationFlags

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        guard let kind = ModelKind(rawValue: model) else {
            throw ValidationError("unknown model '\(model)' (--model takes one of: \(ModelKind.names))")
        }
        var configuration = StepBenchmark.Configuration(model: kind, batch: batch, steps: steps,
                                                        warmupSteps: warmup, threads: threads)
        try synchronization.apply(to: &configuration.options)
        Job.run { communicator in
            let benchmark = Job.agree(communicator) { try StepBenchmark(configuration, communicator: communicator) }
            let report = try benchmark.run()
            guard communicator.isRoot else { return }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.text)
            }
        }
    }
}
