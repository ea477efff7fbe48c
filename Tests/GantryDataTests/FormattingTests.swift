import XCTest
import GantryData

/// Numbers as the console lines, tables and file names print them (C's printf, not
/// Foundation's String(format:)).
final class FormattingTests: XCTestCase {
    func testFixedDecimals() {
        XCTAssertEqual(fixed(3.14159, 2), "3.14")
        XCTAssertEqual(fixed(2.5, 0), "2")  // printf rounds a tie to even
        XCTAssertEqual(fixed(-0.04, 1), "-0.0")
        XCTAssertEqual(fixed(0.00123, 4), "0.0012")
        XCTAssertEqual(fixed(1e20, 2), "100000000000000000000.00")
        XCTAssertEqual(fixed(1e300, 1).count, 303)  // longer than any fixed buffer would guess
        XCTAssertEqual(fixed(.nan, 3), "nan")
        XCTAssertEqual(fixed(-.infinity, 1), "-inf")
        XCTAssertEqual(fixed(7, -1), "7")
    }

    func testPaddingAndDurations() {
        XCTAssertEqual(padded(42), "000042")
        XCTAssertEqual(padded(1_234_567), "1234567")
        XCTAssertEqual(padded(7, width: 2), "07")
        XCTAssertEqual(duration(42), "42s")
        XCTAssertEqual(duration(187), "3m07s")
        XCTAssertEqual(duration(7500), "2h05m")
        XCTAssertEqual(duration(.infinity), "?")
        XCTAssertEqual(hexadecimal(255), "000000ff")
        XCTAssertEqual(hexadecimal(0xdeadbeef), "deadbeef")
    }

    func testAlignmentAndTrimming() {
        XCTAssertEqual("ab".rightAligned(4), "  ab")
        XCTAssertEqual("ab".leftAligned(4), "ab  ")
        XCTAssertEqual("abcdef".leftAligned(4), "abcdef")
        XCTAssertEqual("  12G \n".trimmingWhitespace(), "12G")
        XCTAssertEqual("a b"[...].trimmingWhitespace(), "a b")
        XCTAssertEqual(" \t\n".trimmingWhitespace(), "")
    }
}
