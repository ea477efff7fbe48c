import Foundation
import GantryData
import XCTest

/// `gantry prepare` on a folder of PNG and JPEG images, and training on the folder and on
/// the pack, as a user runs them (docs/data.md).
final class PrepareTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = try temporaryDirectory("prepare")
        // 8 images in 2 classes: gray and colour, PNG and JPEG, of assorted sizes.
        for i in 0..<8 {
            let channels = i % 3 == 0 ? 1 : 3
            let (width, height) = [(40, 30), (32, 32), (20, 64), (100, 70)][i % 4]
            var pixels: [UInt8] = []
            for y in 0..<height { for x in 0..<width { for c in 0..<channels { pixels.append(UInt8((x * 2 + y * 3 + c * 50 + i * 20) % 200)) } } }
            let image = PNGImage(width: width, height: height, channels: channels, pixels: pixels)
            let path = "\(root)/images/\(i < 5 ? "apples" : "pears")/\(i)"
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if i % 2 == 0 {
                try image.write(to: path + ".png")
            } else {
                try Data(try JPEGImage.encode(image)).write(to: URL(fileURLWithPath: path + ".jpg"))
            }
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func testPrepareWritesAPackThatGivesTheFoldersBatchesAndNeverOverwrites() throws {
        let pack = root + "/fruit.gpack"
        let prepare = ["prepare", "--data", "folder:\(root)/images", "--to", pack, "--size", "32"]
        let first = try GantryProcess.direct(prepare)
        XCTAssertEqual(first.status, 0, first.output)
        XCTAssertTrue(first.stdout.contains("gantry: wrote \(pack): 8 samples of 3x32x32, 2 classes"), first.output)

        let packed = try PackedImages(path: pack)
        let folder = try ImageFolder(directory: root + "/images", shape: SampleShape(channels: 3, height: 32, width: 32))
        XCTAssertEqual(packed.classNames, ["apples", "pears"])
        XCTAssertEqual((0..<8).map { packed.label(ofSample: $0) }, [0, 0, 0, 0, 0, 1, 1, 1])
        var fromPack = [Float](repeating: .nan, count: 8 * 3 * 32 * 32), fromFolder = fromPack
        packed.writeBatch(indices: [7, 0, 3, 5, 1, 2, 6, 4], into: &fromPack)
        folder.writeBatch(indices: [7, 0, 3, 5, 1, 2, 6, 4], into: &fromFolder)
        XCTAssertEqual(fromPack, fromFolder)

        // An existing pack is kept unless --force.
        let before = try Data(contentsOf: URL(fileURLWithPath: pack))
        let again = try GantryProcess.direct(prepare + ["--channels", "1"])
        XCTAssertEqual(again.status, 64, again.output)
        XCTAssertEqual(again.errorLines.count, 1, again.output)
        XCTAssertTrue(again.errorLines.first?.contains("--to \(pack) already exists; pass --force") ?? false, again.output)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: pack)), before)
        let forced = try GantryProcess.direct(prepare + ["--channels", "1", "--force"])
        XCTAssertEqual(forced.status, 0, forced.output)
        XCTAssertEqual(try PackedImages(path: pack).shape, SampleShape(channels: 1, height: 32, width: 32))

        let noSize = try GantryProcess.direct(["prepare", "--data", "folder:\(root)/images", "--to", root + "/other.gpack"])
        XCTAssertEqual(noSize.status, 64, noSize.output)
        XCTAssertTrue(noSize.errorLines.first?.contains("needs --size") ?? false, noSize.output)
    }

    /// `--format cifar10`: the folder as CIFAR-10 batches that `cifar10:` reads back as the
    /// folder's samples (to the byte) and labels; what does not fit the format is refused.
    func testPrepareWritesCIFAR10BatchesThatReadBackAsTheFolder() throws {
        let directory = root + "/cifar"
        let prepare = ["prepare", "--data", "folder:\(root)/images", "--size", "32", "--format", "cifar10", "--to", directory]
        let written = try GantryProcess.direct(prepare)
        XCTAssertEqual(written.status, 0, written.output)
        // 8 samples over five batches: 2, 2, 2, 1, 1 records. Two classes: no batches.meta.txt.
        let sizes = try CIFAR10.batchNames.map { try XCTUnwrap(FileManager.default.attributesOfItem(atPath: directory + "/" + $0)[.size] as? Int) }
        XCTAssertEqual(sizes, [2, 2, 2, 1, 1].map { $0 * CIFAR10.recordBytes })
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/" + CIFAR10.metaName))

        let folder = try ImageFolder(directory: root + "/images", shape: SampleShape(channels: 3, height: 32, width: 32))
        let cifar = try CIFAR10(directory: directory)
        XCTAssertEqual((0..<8).map { cifar.label(ofSample: $0) }, (0..<8).map { folder.label(ofSample: $0) })
        XCTAssertEqual(CIFAR10.records(of: cifar, indices: 0..<8), CIFAR10.records(of: folder, indices: 0..<8))

        let cases: [(String, [String], String)] = [
            ("existing directory", prepare, "already exists; pass --force"),
            ("not 3x32x32", ["prepare", "--data", "glyphs", "--format", "cifar10", "--to", root + "/glyphs"], "1x28x28"),
            ("a file as --to", ["prepare", "--data", "color32:glyphs", "--format", "cifar10", "--to", root + "/fruit-file", "--force"], "is a file"),
        ]
        FileManager.default.createFile(atPath: root + "/fruit-file", contents: Data("keep".utf8))
        for (name, arguments, mention) in cases {
            let refused = try GantryProcess.direct(arguments)
            XCTAssertEqual(refused.status, 64, "\(name): \(refused.output)")
            XCTAssertEqual(refused.errorLines.count, 1, "\(name): \(refused.output)")
            XCTAssertTrue(refused.errorLines.first?.contains(mention) ?? false, "\(name): \(refused.output)")
        }
        XCTAssertEqual(try String(contentsOfFile: root + "/fruit-file", encoding: .utf8), "keep")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/glyphs"))
    }

    func testTrainingOnTheFolderAndOnItsPackOnTwoRanks() throws {
        let pack = root + "/fruit.gpack"
        let prepared = try GantryProcess.direct(["prepare", "--data", "folder:\(root)/images", "--to", pack, "--size", "32"])
        XCTAssertEqual(prepared.status, 0, prepared.output)
        for data in ["folder:\(root)/images", "pack:\(pack)"] {
            let run = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "dcgan32", "--data", data, "--batch", "4", "--steps", "2",
                                                          "--out", root + "/run-\(data.prefix(4))"], limit: 120)
            XCTAssertEqual(run.status, 0, run.output)
            XCTAssertEqual(run.stdout.components(separatedBy: "images decoded").count - 1, data.hasPrefix("folder:") ? 1 : 0,
                           "one progress line, from rank 0 only\n\(run.output)")
        }

        // A damaged pack stops every rank with one line naming it.
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: pack)))
        bytes[bytes.count - 5] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: pack))
        let bad = try GantryProcess.mpirun(ranks: 2, ["train", "--model", "dcgan32", "--data", "pack:\(pack)", "--batch", "4", "--steps", "2",
                                                      "--out", root + "/run-bad"], limit: 60)
        XCTAssertNotEqual(bad.status, 0, bad.output)
        XCTAssertNotEqual(bad.status, 124, "the job hung")
        XCTAssertEqual(bad.errorLines.count, 1, bad.output)
        XCTAssertTrue(bad.errorLines.first?.contains("Dataset file '\(pack)' is corrupt: the pixels of samples 0…7 fail their CRC32 check") ?? false, bad.output)
    }
}
