import XCTest
import Foundation
@testable import GantryTrain
import GantryData

/// TensorBoard's event files, byte by byte: the checksum, the record framing and the Event
/// messages, each against bytes made by the reference implementation (the tensorboard
/// package's protobuf classes and RecordWriter, 2.21). The end-to-end reading of a run's
/// files by TensorBoard itself is GantryEndToEndTests/TensorBoardTests.
final class TensorBoardEventFileTests: XCTestCase {
    func testCRC32CKnownAnswers() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([]), 0)
        // iSCSI's test vector (RFC 3720, B.4): 32 bytes of zeros.
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
    }

    func testRecordFramingMatchesTensorBoardsRecordWriter() {
        XCTAssertEqual(TFRecord.frame(Array("hello".utf8)),
                       [0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xEA, 0xB2, 0x04, 0x3E,
                        0x68, 0x65, 0x6C, 0x6C, 0x6F, 0xBB, 0x1F, 0x1C, 0x19])
        XCTAssertEqual(TFRecord.frame([]),
                       [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x29, 0x03, 0x98, 0x07, 0xD8, 0xEA, 0x82, 0xA2])
    }

    func testVarintsOfEveryLength() {
        var message = ProtobufMessage()
        message.varint(1, 0)
        message.varint(2, 300)
        message.varint(3, -1)
        XCTAssertEqual(message.bytes, [0x08, 0x00, 0x10, 0xAC, 0x02,
                                       0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
    }

    func testEventsMatchTensorBoardsProtobufSerialisation() {
        XCTAssertEqual(TensorBoardEvent.fileVersion(wallTime: 1.5),
                       [0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF8, 0x3F, 0x1A, 0x0D]
                           + Array("brain.Event:2".utf8))
        XCTAssertEqual(TensorBoardEvent.sessionStart(wallTime: 2, step: 41),
                       [0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x10, 0x29, 0x3A, 0x02, 0x08, 0x01])
        XCTAssertEqual(TensorBoardEvent.scalars(wallTime: 3, step: 5, [("loss_d", 0.5), ("seconds/data", 0.25)]),
                       [0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x40, 0x10, 0x05, 0x2A, 0x24,
                        0x0A, 0x0D, 0x0A, 0x06] + Array("loss_d".utf8) + [0x15, 0x00, 0x00, 0x00, 0x3F,
                        0x0A, 0x13, 0x0A, 0x0C] + Array("seconds/data".utf8) + [0x15, 0x00, 0x00, 0x80, 0x3E])
        XCTAssertEqual(TensorBoardEvent.image(wallTime: 4, step: 20, tag: "samples", png: [1, 2, 3], width: 2, height: 1, channels: 3),
                       [0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x40, 0x10, 0x14, 0x2A, 0x18, 0x0A, 0x16,
                        0x0A, 0x07] + Array("samples".utf8) + [0x22, 0x0B, 0x08, 0x01, 0x10, 0x02, 0x18, 0x03,
                        0x22, 0x03, 0x01, 0x02, 0x03])
        XCTAssertEqual(TensorBoardEvent.text(wallTime: 5, step: 1, tag: "config", Array("{}\n".utf8)),
                       [0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x40, 0x10, 0x01, 0x2A, 0x1F, 0x0A, 0x1D,
                        0x0A, 0x06] + Array("config".utf8) + [0x42, 0x09, 0x08, 0x07, 0x12, 0x00, 0x42, 0x03, 0x7B, 0x7D, 0x0A,
                        0x4A, 0x08, 0x0A, 0x06, 0x0A, 0x04] + Array("text".utf8))
    }

    /// A file holds the version record, the session start, then each record as written,
    /// every one framed whole; two files opened in the same second get distinct names.
    func testEventFileHoldsWholeRecordsInOrder() throws {
        let directory = try temporaryDirectory("tensorboard")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = try EventFile(directory: directory, firstStep: 11)
        try file.writeScalars(step: 15, [("loss_d", 0.75)])
        let picture = PNGImage(width: 2, height: 1, channels: 1, pixels: [0, 255])
        try file.writeImage(tag: "samples", step: 20, picture: picture, png: try picture.encoded())
        XCTAssertTrue(baseName(of: file.path).hasPrefix("events.out.tfevents."), file.path)

        let payloads = try records(in: AtomicFile.read(file.path))
        XCTAssertEqual(payloads.count, 4)
        XCTAssertEqual(payloads.first.map { Array($0.suffix(15)) }, [0x1A, 0x0D] + Array("brain.Event:2".utf8))
        XCTAssertEqual(payloads.dropFirst().first.map { Array($0.suffix(6)) }, [0x10, 0x0B, 0x3A, 0x02, 0x08, 0x01],
                       "session start at step 11")

        let second = try EventFile(directory: directory, firstStep: 21)
        XCTAssertNotEqual(second.path, file.path)
        XCTAssertEqual(directoryEntries(directory).count, 2)
    }

    func testAnUnwritableDirectoryIsAnErrorNamingTheFile() {
        XCTAssertThrowsError(try EventFile(directory: "/nonexistent-gantry-directory", firstStep: 1)) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent-gantry-directory/events.out.tfevents."), "\(error)")
        }
    }

    /// The payloads of a TFRecord file, checking each record's length and both CRCs.
    func records(in bytes: [UInt8]) throws -> [[UInt8]] {
        func uint<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
            (0..<(T.bitWidth / 8)).reduce(T(0)) { $0 | T(bytes[offset + $1]) << ($1 * 8) }
        }
        var payloads: [[UInt8]] = [], offset = 0
        while offset < bytes.count {
            XCTAssertGreaterThanOrEqual(bytes.count - offset, 16, "a record cut short at byte \(offset)")
            let length = Int(uint(UInt64.self, at: offset))
            XCTAssertEqual(uint(UInt32.self, at: offset + 8), CRC32C.masked(Array(bytes[offset..<offset + 8])))
            let payload = Array(bytes[(offset + 12)..<(offset + 12 + length)])
            XCTAssertEqual(uint(UInt32.self, at: offset + 12 + length), CRC32C.masked(payload))
            payloads.append(payload)
            offset += 16 + length
        }
        return payloads
    }
}
