import XCTest
import Foundation
import Glibc
import CZlib
@testable import GantryTrain

/// Files that lie: a FIFO where a file should be, a header that claims more than the file
/// holds, a checkpoint whose strings hold terminal escapes or whose floats are NaN, and
/// another run's checkpoint aimed at a run directory. Each is refused in one line (or shown
/// escaped) without hanging and without touching what it must not: every command runs under
/// `timeout` (GantryProcess), so a reader that blocks fails the test instead of stalling it.
final class HostileFileTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws { root = try temporaryDirectory("hostile") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    /// A 2-step mlp run on one rank, its run directory.
    func trainRun(_ name: String, steps: Int = 2) throws -> String {
        let run = "\(root)/\(name)"
        let outcome = try GantryProcess.mpirun(ranks: 1, ["train", "--model", "mlp", "--data", "ring8", "--steps", String(steps),
                                                          "--checkpoint-every", "2", "--sample-every", "1000", "--out", run], limit: 60)
        XCTAssertEqual(outcome.status, 0, outcome.output)
        return run
    }

    /// Asserts a refusal: exit 1, one error line holding every word.
    func assertRefused(_ outcome: GantryProcess.Outcome, mentions words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(outcome.status, 1, outcome.output, file: file, line: line)
        XCTAssertEqual(outcome.errorLines.count, 1, outcome.output, file: file, line: line)
        for word in words {
            XCTAssertTrue(outcome.errorLines.first?.contains(word) ?? false, "no '\(word)' in\n\(outcome.output)", file: file, line: line)
        }
    }

    func writeGzip(_ path: String, _ bytes: [UInt8], level: Int = 6) {
        let file = gzopen(path, "wb\(level)")!
        XCTAssertEqual(Int(gzwrite(file, bytes, UInt32(bytes.count))), bytes.count)
        XCTAssertEqual(gzclose(file), Z_OK)
    }

    func idxHeader(count: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        for word: UInt32 in [0x0803, count, 28, 28] {
            bytes += [UInt8(word >> 24), UInt8(word >> 16 & 0xff), UInt8(word >> 8 & 0xff), UInt8(word & 0xff)]
        }
        return bytes
    }

    func trainOn(_ data: String) throws -> GantryProcess.Outcome {
        try GantryProcess.mpirun(ranks: 1, ["train", "--model", "dcgan28", "--data", "idx:\(data)", "--steps", "1", "--out", root + "/run"], limit: 60)
    }

    // MARK: Readers check claims before reading

    func testFIFOAsDataIsRefused() throws {
        let fifo = root + "/train-images-idx3-ubyte"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        assertRefused(try trainOn(fifo), mentions: [fifo, "not a regular file"])
        assertRefused(try trainOn(root), mentions: [fifo, "not a regular file"])  // found in the directory
    }

    func testIDXHeaderClaimsBeyondTheFileAreRefused() throws {
        // 0.8 MB of gzip declaring 5 million 28×28 images (3.9 GB): refused before allocating.
        var random = SystemRandomNumberGenerator()
        let noise = (0..<800_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        let bomb = root + "/claims.gz"
        writeGzip(bomb, idxHeader(count: 5_000_000) + noise, level: 1)
        assertRefused(try trainOn(bomb), mentions: [bomb, "5000000 images", "gzip data"])

        // A valid file with 20 MB of zeros after its 100 images inside the gzip stream, and
        // the same zeros appended after the stream (which zlib itself would skip).
        let images = idxHeader(count: 100) + [UInt8](repeating: 9, count: 100 * 784)
        let zeros = [UInt8](repeating: 0, count: 20 << 20)
        let inside = root + "/inside.gz"
        writeGzip(inside, images + zeros)
        assertRefused(try trainOn(inside), mentions: [inside, "beyond the \(images.count) its header declares"])
        let after = root + "/after.gz"
        writeGzip(after, images)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: after))
        handle.seekToEndOfFile()
        handle.write(Data(zeros))
        handle.closeFile()
        assertRefused(try trainOn(after), mentions: [after, "not gzip data"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/run"), "a refused start left a run directory")
    }

    func testFIFOAsNewestCheckpoint() throws {
        let run = try trainRun("run")
        let fifo = run + "/checkpoints/step-999999.gckpt"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let resumed = try GantryProcess.mpirun(ranks: 1, ["train", "--steps", "4", "--out", run, "--resume", "auto"], limit: 60)
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertTrue(resumed.stderr.contains("gantry: warning: skipping cannot read \(fifo): it is a FIFO"), resumed.output)
        XCTAssertTrue(resumed.stdout.contains("resuming at step 2"), resumed.output)
        for target in [fifo, run] {
            assertRefused(try GantryProcess.direct(["inspect", target], limit: 30), mentions: [fifo, "a FIFO, not a regular file"])
        }
    }

    /// Files of 1 GB and 10 GB that take no disk (sparse): inspect answers from the first
    /// bytes or the section table, without reading them.
    func testLargeFilesAreRefusedUnread() throws {
        let zeros = root + "/zeros.gckpt"
        XCTAssertTrue(FileManager.default.createFile(atPath: zeros, contents: nil))
        XCTAssertEqual(truncate(zeros, 1 << 30), 0)
        assertRefused(try GantryProcess.direct(["inspect", zeros], limit: 30), mentions: [zeros, "not a Gantry checkpoint"])

        // A valid container: one section holding all of its 10 GB.
        let large = root + "/large.gckpt"
        let size = 10 << 30
        var table = CheckpointFile.encode([("header", [])])
        table.removeLast(12)  // the empty section's length and CRC
        CheckpointFile.append(UInt64(size - table.count - 12), to: &table)
        CheckpointFile.append(UInt32(0), to: &table)
        XCTAssertTrue(FileManager.default.createFile(atPath: large, contents: Data(table)))
        XCTAssertEqual(truncate(large, off_t(size)), 0)
        assertRefused(try GantryProcess.direct(["inspect", large], limit: 30), mentions: [large, "\(size) bytes", "more than a Gantry checkpoint"])
    }

    // MARK: Printing what comes from a file

    func testEscapesAndNonFiniteValuesInACheckpoint() throws {
        let run = try trainRun("run")
        let path = run + "/checkpoints/step-000002.gckpt"
        let bytes = try AtomicFile.read(path)
        let file = try CheckpointFile.parse(bytes, source: path)

        // An extra section named with an escape sequence, and a header string of 10,000 characters.
        var checkpoint = try Checkpoint.decode(bytes, source: path)
        checkpoint.header.gantryVersion = "\u{1b}]0;owned\u{7}" + String(repeating: "v", count: 10_000)
        var sections = try CheckpointFile.parse(try checkpoint.encode(), source: path).sections.map { ($0.name, $0.payload) }
        sections.append(("\u{1b}[2J\u{1b}[31mred", [1, 2, 3]))
        let crafted = root + "/crafted.gckpt"
        XCTAssertTrue(FileManager.default.createFile(atPath: crafted, contents: Data(CheckpointFile.encode(sections))))
        let shown = try GantryProcess.direct(["inspect", crafted], limit: 30)
        XCTAssertEqual(shown.status, 0, shown.output)
        XCTAssertFalse(shown.stdout.contains("\u{1b}") || shown.stdout.contains("\u{7}"), shown.output)
        XCTAssertTrue(shown.stdout.contains("\\u{1b}[2J\\u{1b}[31mred"), shown.output)
        XCTAssertTrue(shown.stdout.contains("written by Gantry \\u{1b}]0;owned\\u{7}vvv"), shown.output)
        XCTAssertFalse(shown.stdout.contains(String(repeating: "v", count: 201)), "a header string was not cut")

        // Every parameter of G NaN, with CRCs recomputed: invalid, naming the section.
        let nan = [Float](repeating: .nan, count: file.section("G.parameters")!.payload.count / 4)
        let poisoned = file.sections.map { ($0.name, $0.name == "G.parameters" ? Checkpoint.bytes(of: nan) : $0.payload) }
        let nanPath = root + "/nan.gckpt"
        XCTAssertTrue(FileManager.default.createFile(atPath: nanPath, contents: Data(CheckpointFile.encode(poisoned))))
        let inspected = try GantryProcess.direct(["inspect", nanPath], limit: 30)
        XCTAssertEqual(inspected.status, 1, inspected.output)
        XCTAssertTrue(inspected.stdout.contains("section G.parameters holds a non-finite value (nan at index 0)"), inspected.output)
    }

    // MARK: Run identity

    /// All files under `directory` with their bytes.
    func contents(of directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.subpathsOfDirectory(atPath: directory) where !isDirectory("\(directory)/\(name)") {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)"))
        }
        return files
    }

    func testAnotherRunsCheckpointCannotContinueInADirectory() throws {
        let a = try trainRun("a"), b = try trainRun("b")
        let checkpointA = a + "/checkpoints/step-000002.gckpt"
        let idA = try XCTUnwrap(Checkpoint.load(checkpointA).header.runId)
        XCTAssertEqual(RunIdentity.runId(ofDirectory: a), idA)
        XCTAssertNotEqual(RunIdentity.runId(ofDirectory: b), idA)

        let before = try contents(of: b)
        let refused = try GantryProcess.mpirun(ranks: 1, ["train", "--resume", checkpointA, "--out", b, "--steps", "4"], limit: 60)
        assertRefused(refused, mentions: [checkpointA, " \(a), ", "--out \(b) holds run", idA])
        XCTAssertEqual(try contents(of: b), before, "the other run's directory changed")

        // A checkpoint from before run ids: allowed in its own directory only.
        var old = try Checkpoint.load(checkpointA)
        old.header.runId = nil
        try old.write(to: checkpointA)
        assertRefused(try GantryProcess.mpirun(ranks: 1, ["train", "--resume", checkpointA, "--out", b, "--steps", "4"], limit: 60),
                      mentions: ["a run without an id", b])
        XCTAssertEqual(try contents(of: b), before, "the other run's directory changed")
        let own = try GantryProcess.mpirun(ranks: 1, ["train", "--resume", checkpointA, "--out", a, "--steps", "4"], limit: 60)
        XCTAssertEqual(own.status, 0, own.output)
        XCTAssertEqual(try Checkpoint.load(a + "/checkpoints/step-000004.gckpt").header.runId, idA)

        // Into a new directory: a new run, with an id of its own.
        let fork = root + "/fork"
        let forked = try GantryProcess.mpirun(ranks: 1, ["train", "--resume", checkpointA, "--out", fork, "--steps", "4"], limit: 60)
        XCTAssertEqual(forked.status, 0, forked.output)
        let idFork = try XCTUnwrap(RunIdentity.runId(ofDirectory: fork))
        XCTAssertNotEqual(idFork, idA)
        XCTAssertEqual(try Checkpoint.load(fork + "/checkpoints/step-000004.gckpt").header.runId, idFork)
        let again = try GantryProcess.mpirun(ranks: 1, ["train", "--resume", "auto", "--out", fork, "--steps", "6"], limit: 60)
        XCTAssertEqual(again.status, 0, again.output)
    }
}
