import ArgumentParser
import GantryBench
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
        threads (the peak: the best of 10 calls). Takes the flags of gantry train; --steps is \
        the number of timed iterations here (\(StepBenchmark.Configuration.defaultTimedSteps) \
        when not given), --data and the output flags have no effect. Reports images/s, \
        milliseconds per iteration and per part, FLOPs per image (counted per layer), achieved \
        GFLOP/s, the share of the sgemm peak and of the cores' FMA peak (a multiply-add loop at the \
        widest vector instructions: the hardware's limit), the BLAS kernels in use, and the \
        peak resident memory; warns when sgemm reaches less than half of the FMA peak. Times are medians \
        over the timed iterations. Runs alone or under mpirun (then every rank trains, and \
        rank 0 reports its own figures).
        """)

    @OptionGroup var options: TrainingOptions

    @Option(help: "Untimed iterations before the timed ones.")
    var warmup = 3

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more, got \(warmup)") }
    }

    func run() throws {
        let configuration = StepBenchmark.Configuration(options: options, warmupSteps: warmup)
        Job.run { communicator in
            let benchmark = Job.agree(communicator) { try StepBenchmark(configuration, communicator: communicator) }
            let report = try benchmark.run()
            guard communicator.isRoot else { return }
            print(json ? try JSONCoding.line(report) : report.text)
            if let warning = report.kernelWarning { Job.warn(warning) }
        }
    }
}
