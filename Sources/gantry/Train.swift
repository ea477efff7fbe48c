import ArgumentParser
import Glibc
import GantryData
import GantryNN
import GantryTrain

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a GAN, data-parallel across the MPI ranks of this job.",
        discussion: """
        Every rank trains a replica of G and D on its contiguous slice of each global batch, \
        and the ranks average D's gradients, then G's, with MPI allreduce. Rank 0 writes \
        config.json, metrics.jsonl, samples/ and checkpoints/ under --out.

        With --config FILE, the options come from a JSON file (a flat object such as \
        {"steps": 500, "lr_g": 0.0001}, or a run's config.json, whose options are taken \
        without --out); flags given on the command line override it. With --resume, flags \
        not given keep the checkpoint's values; --model and --seed cannot change. SIGTERM, SIGINT or SIGUSR1 makes every rank stop at the next step boundary, \
        write a checkpoint and exit 0; a second signal more than 2 s later ends at once.
        """)

    @OptionGroup var options: TrainingOptions

    @Option(help: "Continue a run: 'auto' (the newest valid checkpoint in --out; start afresh if there is none) or a checkpoint file.")
    var resume: String?

    @Option(help: "Write where each rank's time goes, step by step, to this file (Chrome trace-event JSON: open it in ui.perfetto.dev or chrome://tracing).")
    var timeline: String?

    @Option(help: "Training options from a JSON file: a flat object of settings (the flags' names in snake_case) or a run's config.json. Flags given here override it.")
    var config: String?

    func run() throws {
        // This command's own arguments (after `gantry train`), after those of --config:
        // parsed again after the checkpoint's, so that the flags given now override the
        // checkpoint's values, and the command line overrides the configuration file.
        let arguments = CommandLine.arguments
        let commandLine = Array(arguments.drop { $0 != "train" }.dropFirst())
        // The one place the stop request is installed, from the start: a launcher's SIGTERM
        // while the data loads stops the run at its first step boundary.
        StopSignal.install()
        Job.run { communicator in
            let (given, options): ([String], TrainingOptions) = Job.agree(communicator) {
                guard let config else { return (commandLine, try Self.parseOptions(commandLine)) }
                let settings = try TrainingOptions.settings(ofConfigurationFile: config)
                let given = try TrainingOptions.arguments(checking: settings, source: "--config \(config)") + commandLine
                return (given, try Self.parseOptions(given))
            }
            // Stage 1, rank 0: find and read the checkpoint to resume from, if any.
            let found: ResumePoint? = Job.agree(communicator) {
                guard communicator.isRoot, let resume else { return nil }
                return try ResumePoint.find(resume, runDirectory: options.out, warn: Job.warn)
            }
            // Every rank gets rank 0's bytes and validates them itself.
            let bytes = try communicator.broadcast(found?.bytes ?? [])
            let checkpoint: Checkpoint? = Job.agree(communicator) {
                bytes.isEmpty ? nil : try Checkpoint.decode(bytes, source: found?.path ?? "the checkpoint from rank 0")
            }

            // Stage 2: the options, the plan, rank 0's run directory, this rank's replica
            // (none when the checkpoint already completed the run).
            let trainer: Trainer? = Job.agree(communicator) {
                var options = options
                let requestedOut = options.out
                var changed: [String: String] = [:]
                if let checkpoint {
                    (options, changed) = try checkpoint.header.resumedOptions(
                        given: options, source: found?.path ?? "the checkpoint",
                        reparse: { try Self.parseOptions($0 + given) })
                    options.out = requestedOut ?? found.map { ResumePoint.runDirectory(of: $0.path) } ?? options.out
                    if communicator.isRoot, let found, let out = options.out {
                        try RunIdentity.checkResume(checkpointPath: found.path, runId: checkpoint.header.runId, into: out)
                    }
                } else {
                    options.out = options.out ?? "runs/\(options.model)-\(options.data.replacing("/", with: "_"))-\(timestamp())"
                }
                let plan = try TrainingPlan(options: options, worldSize: communicator.size,
                                            progress: communicator.isRoot ? { print("gantry: \($0)"); fflush(stdout) } : { _ in })
                if let checkpoint, try isComplete(plan, at: checkpoint.header.step) { return nil }
                let output = communicator.isRoot
                    ? try RunOutput(directory: options.out!, plan: plan, arguments: arguments,
                                    resumingAt: checkpoint?.header.step, from: found?.path, changed: changed)
                    : nil
                return try Trainer(plan: plan, communicator: communicator, output: output, resumingFrom: checkpoint)
            }
            guard let trainer else {
                if communicator.isRoot {
                    print("gantry: the run is complete at step \(checkpoint?.header.step ?? 0) (\(found?.path ?? "its checkpoint")): nothing to train")
                }
                return
            }
            if let timeline {
                try communicator.barrier()  // a common time zero for every rank's spans
                trainer.timeline = try Timeline(path: timeline, rank: communicator.rank, origin: Clock.now())
            }
            try trainer.run()
        }
    }

    /// Whether a run resumed at `step` has nothing left to train: the case of a Slurm
    /// requeue of a finished job, which exits 0 without writing anything. An explicit
    /// --steps or --epochs that ends before the checkpoint is a usage error instead.
    func isComplete(_ plan: TrainingPlan, at step: Int) throws -> Bool {
        guard step >= plan.totalSteps else { return false }
        if step > plan.totalSteps && (self.options.steps != nil || self.options.epochs != nil) {
            throw GantryError.usage("--steps/--epochs give \(plan.totalSteps) steps, fewer than the \(step) the checkpoint already trained; ask for more, or resume without them")
        }
        return true
    }

    /// The training options of a `train` command line, as a usage error when it does not
    /// parse; a --preset's flags go before the others, which win.
    static func parseOptions(_ arguments: [String]) throws -> TrainingOptions {
        do {
            return try parse(TrainingOptions.expandingPreset(arguments)).options
        } catch {
            throw GantryError.usage(message(for: error))
        }
    }
}

/// UTC time for default run directory names, e.g. 20261124-230512.
func timestamp() -> String {
    var now = time(nil), utc = tm()
    gmtime_r(&now, &utc)
    return padded(Int(utc.tm_year) + 1900, width: 4) + padded(Int(utc.tm_mon) + 1, width: 2) + padded(Int(utc.tm_mday), width: 2)
        + "-" + padded(Int(utc.tm_hour), width: 2) + padded(Int(utc.tm_min), width: 2) + padded(Int(utc.tm_sec), width: 2)
}
