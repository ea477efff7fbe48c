import XCTest
@testable import GantryTrain

/// Text from files is printed with its control characters escaped and its length capped.
final class PrintableTextTests: XCTestCase {
    func testControlCharactersAreEscaped() {
        XCTAssertEqual(printable("G.parameters"), "G.parameters")
        XCTAssertEqual(printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb")
        XCTAssertEqual(printable("line\nnext\r\t\u{7f}\u{9b}"), "line\\u{a}next\\u{d}\\u{9}\\u{7f}\\u{9b}")
        // A right-to-left override and a zero-width space would disguise what is shown.
        XCTAssertEqual(printable("evil\u{202e}fdp.exe\u{200b}"), "evil\\u{202e}fdp.exe\\u{200b}")
        XCTAssertEqual(printable("\u{2028}"), "\\u{2028}")
        // A backslash is doubled, so a file cannot spell out a fake escape.
        XCTAssertEqual(printable("a\\u{1b}"), "a\\\\u{1b}")
        // Ordinary text outside ASCII stays as it is.
        XCTAssertEqual(printable("Größe × ñ 日本 🙂"), "Größe × ñ 日本 🙂")
    }

    func testLongTextIsCut() {
        XCTAssertEqual(printable(String(repeating: "x", count: 200)), String(repeating: "x", count: 200))
        XCTAssertEqual(printable(String(repeating: "x", count: 201)), String(repeating: "x", count: 200) + "…")
        XCTAssertEqual(printable("abcdef", limit: 3), "abc…")
        // An escape is never cut in half.
        XCTAssertEqual(printable("ab\u{1b}", limit: 4), "ab…")
        XCTAssertEqual(printable(String(repeating: "\u{0}", count: 1000)).count, 200 / 5 * 5 + 1)
    }
}
