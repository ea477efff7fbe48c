import XCTest
import Foundation
import Glibc
@testable import GantryTrain

/// Every class of bad or hostile input of docs/reliability.md, through the real binary on 1
/// and 2 ranks: each case must end with the exit code it names (64 for usage errors, 1 for
/// the rest), exactly one `gantry: error:` line mentioning what it names, within 15 s, with
/// a finished run directory that sits beside it byte-identical afterwards and no new
/// directory left behind.
final class HostileInputTableTests: XCTestCase {
    struct Case {
        let name: String
        /// 0: the binary alone, without mpirun.
        let ranks: Int
        let arguments: [String]
        let status: Int32
        let mentions: [String]
        var environment: [String: String] = [:]
    }

    var root = ""
    /// A finished mlp run (4 steps, one rank), which no case may change.
    var existing = ""

    override func setUpWithError() throws {
        root = try temporaryDirectory("hostile-table")
        existing = root + "/existing"
        let run = try GantryProcess.mpirun(ranks: 1, ["train", "--model", "mlp", "--data", "ring8", "--steps", "4",
                                                      "--log-every", "2", "--out", existing], limit: 60)
        XCTAssertEqual(run.status, 0, run.output)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    /// Every file below `directory`, with its bytes.
    func snapshot(_ directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for path in try FileManager.default.subpathsOfDirectory(atPath: directory) {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: directory + "/" + path, isDirectory: &isDirectory)
            if !isDirectory.boolValue { files[path] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + path)) }
        }
        return files
    }

    func write(_ bytes: [UInt8], _ name: String) -> String {
        let path = root + "/inputs/" + name
        try? FileManager.default.createDirectory(atPath: root + "/inputs", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func testEveryHostileInputIsRefusedInOneLineLeavingEverythingAsItWas() throws {
        let out = root + "/new-run"
        let checkpoint = existing + "/checkpoints/step-000004.gckpt"
        let good = try AtomicFile.read(checkpoint)
        var flipped = good
        flipped[good.count / 2] ^= 1
        var future = good
        future[8] = UInt8(CheckpointFile.formatVersion + 1)
        let idxHeader: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 100, 0, 0, 0, 28, 0, 0, 0, 28]
        let fifo = root + "/inputs/fifo"
        try FileManager.default.createDirectory(atPath: root + "/inputs", withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let sparse = write([], "sparse.gckpt")
        XCTAssertEqual(truncate(sparse, 1 << 30), 0)
        let configs = [("unknown-key", #"{"model": "mlp", "lr_gen": 0.1}"#), ("wrong-type", #"{"log_every": "often"}"#),
                       ("array", "[1, 2]"), ("not-json", "steps: 5")]
            .map { ($0.0, write(Array($0.1.utf8), $0.0 + ".json")) }

        func train(_ name: String, ranks: Int = 2, _ arguments: [String], _ status: Int32, _ mentions: [String],
                   environment: [String: String] = [:]) -> Case {
            Case(name: name, ranks: ranks, arguments: ["train", "--steps", "2"] + arguments + (arguments.contains("--out") ? [] : ["--out", out]),
                 status: status, mentions: mentions, environment: environment)
        }
        var cases: [Case] = [
            // Flags the parser or the options refuse (usage: 64).
            train("negative steps", ["--steps", "-5"], 64, ["--steps", "-5"]),
            train("zero steps", ["--steps", "0"], 64, ["--steps"]),
            train("steps not a number", ["--steps", "many"], 64, ["many", "--steps"]),
            train("epochs overflow", ["--epochs", "9223372036854775807"], 64, ["--epochs"]),
            train("zero epochs", ["--epochs", "0"], 64, ["--epochs"]),
            train("zero batch", ["--batch", "0"], 64, ["--batch"]),
            train("negative batch", ["--batch=-3"], 64, ["--batch", "-3"]),
            train("batch not a number", ["--batch", "x"], 64, ["--batch"]),
            train("global batch not dividing", ["--global-batch", "63"], 64, ["--global-batch 63", "2 ranks"]),
            train("zero global batch", ["--global-batch", "0"], 64, ["--global-batch"]),
            train("batch and global batch", ["--batch", "8", "--global-batch", "16"], 64, ["--batch", "--global-batch"]),
            train("steps and epochs", ["--epochs", "1"], 64, ["--steps", "--epochs"]),
            train("unknown model", ["--model", "dcgan99"], 64, ["unknown model", "dcgan99"]),
            train("unknown dataset", ["--data", "cifar"], 64, ["cifar"]),
            train("unknown colour dataset", ["--model", "dcgan32", "--data", "color32:cifar"], 64, ["cifar"]),
            train("shape mismatch", ["--model", "mlp", "--data", "glyphs"], 64, ["mlp", "glyphs"]),
            train("negative learning rate", ["--lr-g", "-1"], 64, ["--lr-g"]),
            train("NaN learning rate", ["--lr-d", "nan"], 64, ["--lr-d"]),
            train("infinite learning rate", ["--lr-g", "inf"], 64, ["--lr-g"]),
            train("beta1 of 1", ["--beta1", "1"], 64, ["--beta1"]),
            train("negative beta2", ["--beta2", "-0.1"], 64, ["--beta2"]),
            train("zero d-steps", ["--d-steps", "0"], 64, ["--d-steps"]),
            train("zero log interval", ["--log-every", "0"], 64, ["--log-every"]),
            train("negative sample interval", ["--sample-every", "-1"], 64, ["--sample-every"]),
            train("zero checkpoint interval", ["--checkpoint-every", "0"], 64, ["--checkpoint-every"]),
            train("zero check interval", ["--check-every", "0"], 64, ["--check-every"]),
            train("negative keep", ["--keep", "-1"], 64, ["--keep"]),
            train("zero keep-every", ["--keep-every", "0"], 64, ["--keep-every"]),
            train("zero threads", ["--threads", "0"], 64, ["--threads"]),
            train("zero bucket", ["--bucket-mb", "0"], 64, ["--bucket-mb"]),
            train("huge bucket", ["--bucket-mb", "1e13"], 64, ["--bucket-mb"]),
            train("unknown allreduce", ["--allreduce", "ring"], 64, ["ring", "--allreduce"]),
            train("unknown compression", ["--compress", "bf16"], 64, ["bf16", "--compress"]),
            train("unknown non-finite policy", ["--on-nan", "foo"], 64, ["foo", "--on-nan"]),
            train("unknown generator loss", ["--g-loss", "foo"], 64, ["foo", "--g-loss"]),
            train("removed overlap thread", ["--overlap", "thread"], 64, ["--overlap thread", "removed"]),
            train("negative seed", ["--seed=-1"], 64, ["--seed"]),
            train("unknown flag", ["--learning-rate", "1"], 64, ["--learning-rate"]),
            train("negative stall timeout", ["--stall-timeout", "-1"], 64, ["--stall-timeout"]),
            train("batch of one with BatchNorm", ["--model", "dcgan28", "--batch", "1"], 64, ["--batch", "BatchNorm"]),
            train("steps times d-steps overflow", ["--model", "mlp", "--data", "ring8", "--steps", "9223372036854775807",
                                                   "--d-steps", "2"], 64, ["--d-steps"]),
            train("global batch overflow", ["--batch", "4611686018427387904"], 64, ["--batch"]),
            train("over the memory budget", ranks: 1, ["--model", "dcgan28", "--batch", "60000"], 64, ["--batch", "GB"],
                  environment: ["GANTRY_MEMORY_LIMIT": "2G"]),
            train("dataset over the memory budget", ranks: 1,
                  ["--data", "idx:" + write([0, 0, 8, 3, 0, 0, 0, 200, 0, 0, 0, 28, 0, 0, 0, 28] + [UInt8](repeating: 0, count: 200 * 784),
                                            "big-idx")], 1, ["big-idx", "GANTRY_MEMORY_LIMIT"], environment: ["GANTRY_MEMORY_LIMIT": "100K"]),
            // Files and directories (1).
            train("output below a regular file", ["--model", "mlp", "--data", "ring8", "--out", write([1], "a-file") + "/run"], 1,
                  ["a-file/run"]),
            train("output holding a run", ["--model", "mlp", "--data", "ring8", "--out", existing], 1, ["already holds a run"]),
            train("missing IDX file", ["--data", "idx:\(root)/nothing"], 1, ["nothing"]),
            train("truncated IDX file", ["--data", "idx:" + write(idxHeader + [1, 2], "truncated-idx")], 1, ["truncated"]),
            train("IDX with a wrong magic", ["--data", "idx:" + write([0, 0, 9, 9] + idxHeader.dropFirst(4), "magic-idx")], 1,
                  ["magic-idx"]),
            train("IDX that is a FIFO", ["--data", "idx:" + fifo], 1, ["fifo", "not a regular file"]),
            train("resume from a missing file", ["--resume", root + "/no.gckpt"], 1, ["no.gckpt"]),
            train("resume from an empty file", ["--resume", write([], "empty.gckpt")], 1, ["empty"]),
            train("resume from a FIFO", ["--resume", fifo], 1, ["not a regular file"]),
            train("resume from a truncated checkpoint", ["--resume", write(Array(good.prefix(good.count - 100)), "cut.gckpt")], 1,
                  ["truncated"]),
            train("resume from a bit flip", ["--resume", write(flipped, "flip.gckpt")], 1, ["CRC32"]),
            train("resume from a PNG", ["--resume", existing + "/samples/step-000004.png"], 1, ["not a Gantry checkpoint"]),
            train("resume from a future version", ["--resume", write(future, "future.gckpt")], 1, ["update Gantry"]),
            train("resume changing the model", ["--resume", checkpoint, "--model", "dcgan28"], 1, ["--model dcgan28 conflicts"]),
            train("resume changing the seed", ["--resume", checkpoint, "--seed", "99"], 1, ["--seed 99 conflicts"]),
            train("resume asking fewer steps", ["--resume", checkpoint, "--out", existing], 64, ["--steps"]),
            train("config file missing", ["--config", root + "/none.json"], 1, ["none.json"]),
        ]
        for (name, path) in configs {
            cases.append(train("config: \(name)", ["--config", path], 1, [path]))
        }
        cases += [
            Case(name: "lone process under a 2-rank launcher variable", ranks: 0,
                 arguments: ["train", "--model", "mlp", "--data", "ring8", "--steps", "2", "--out", out], status: 1,
                 mentions: ["OMPI_COMM_WORLD_SIZE"], environment: ["OMPI_COMM_WORLD_SIZE": "2"]),
            Case(name: "inspect a FIFO", ranks: 0, arguments: ["inspect", fifo], status: 1, mentions: ["not a regular file"]),
            Case(name: "inspect a 1 GB file", ranks: 0, arguments: ["inspect", sparse], status: 1, mentions: ["sparse.gckpt"]),
            Case(name: "inspect a missing run", ranks: 0, arguments: ["inspect", root + "/none"], status: 1, mentions: ["none"]),
            Case(name: "sample to a .jpg", ranks: 0, arguments: ["sample", "--checkpoint", existing, "--out", root + "/x.jpg"],
                 status: 64, mentions: ["jpg"]),
            Case(name: "sample no samples", ranks: 0, arguments: ["sample", "--checkpoint", existing, "--out", root + "/x.png",
                                                                  "--count", "0"], status: 64, mentions: ["--count"]),
            Case(name: "sample a corrupt checkpoint", ranks: 0, arguments: ["sample", "--checkpoint", write(flipped, "f2.gckpt"),
                                                                            "--out", root + "/x.png"], status: 1, mentions: ["CRC32"]),
            Case(name: "eval with no samples", ranks: 0, arguments: ["eval", "--checkpoint", existing, "--count", "0"], status: 64,
                 mentions: ["--count"]),
            Case(name: "export to an unknown format", ranks: 0,
                 arguments: ["export", "--checkpoint", existing, "--format", "onnx", "--out", root + "/g.onnx"], status: 64,
                 mentions: ["onnx"]),
            Case(name: "report of a missing run", ranks: 0, arguments: ["report", root + "/none"], status: 1, mentions: ["none"]),
            Case(name: "bench step with negative warm-up", ranks: 0, arguments: ["bench", "step", "--warmup", "-1"], status: 64,
                 mentions: ["--warmup"]),
            Case(name: "bench step with an unknown model", ranks: 1, arguments: ["bench", "step", "--model", "x"], status: 64,
                 mentions: ["unknown model"]),
        ]
        XCTAssertGreaterThanOrEqual(cases.count, 60)

        let before = try snapshot(existing)
        let entries = try FileManager.default.contentsOfDirectory(atPath: root).sorted()
        for test in cases {
            let outcome: GantryProcess.Outcome
            if test.ranks == 0 {
                outcome = try GantryProcess.command([GantryProcess.binary] + test.arguments, limit: 30, environment: test.environment)
            } else {
                var mpi = ["mpirun", "-np", String(test.ranks)]
                for key in test.environment.keys.sorted() { mpi += ["-x", key] }
                outcome = try GantryProcess.command(mpi + [GantryProcess.binary] + test.arguments, limit: 30, environment: test.environment)
            }
            let context = "\(test.name): gantry \(test.arguments.joined(separator: " "))\n\(outcome.output)"
            XCTAssertEqual(outcome.status, test.status, context)
            XCTAssertEqual(outcome.errorLines.count, 1, context)
            for word in test.mentions {
                XCTAssertTrue(outcome.errorLines.first?.contains(word) ?? false, "no '\(word)' in the error line; \(context)")
            }
            XCTAssertFalse(outcome.stderr.contains("Fatal error") || outcome.stderr.contains("Backtrace"), "a trap; \(context)")
            XCTAssertLessThan(outcome.seconds, 15, "slow to end; \(context)")
            XCTAssertEqual(try snapshot(existing), before, "the existing run changed; \(context)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root).sorted(), entries, "a directory was left; \(context)")
        }
    }
}
