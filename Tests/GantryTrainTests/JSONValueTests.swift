import XCTest
@testable import GantryTrain

/// Untyped JSON (metrics lines read back, checkpoint headers shown whole, `--json` reports):
/// booleans stay apart from numbers, integers from doubles, and keys stay as written.
final class JSONValueTests: XCTestCase {
    func testParsingKeepsKindsApart() throws {
        let value = try JSONValue(parsing: Array(#"{"step": 3, "loss_d": 0.5, "ok": true, "none": null, "tags": [1, "x"], "lr": {"g_rate": 2e-4}}"#.utf8))
        XCTAssertEqual(value["step"], .integer(3))
        XCTAssertEqual(value["step"]?.integer, 3)
        XCTAssertEqual(value["loss_d"], .number(0.5))
        XCTAssertEqual(value["loss_d"]?.integer, nil)
        XCTAssertEqual(value["ok"], .bool(true))
        XCTAssertNil(value["ok"]?.number, "a boolean is no number")
        XCTAssertEqual(value["none"], .null)
        XCTAssertEqual(value["tags"], .array([.integer(1), .string("x")]))
        XCTAssertEqual(value["lr"]?["g_rate"]?.number, 2e-4, "keys are not converted from snake_case")
        XCTAssertNil(value["missing"])
        XCTAssertNil(JSONValue.integer(1)["step"])
        XCTAssertEqual(try JSONValue(parsing: Array("[1e3, -0.0, 9007199254740993, 1e300, false]".utf8)),
                       .array([.integer(1000), .integer(0), .integer(9_007_199_254_740_993), .number(1e300), .bool(false)]))
        // A 64-bit seed above Int.max stays exact, there and back.
        let seed = try JSONValue(parsing: Array(#"{"seed": 18446744073709551615}"#.utf8))
        XCTAssertEqual(seed["seed"], .unsignedInteger(.max))
        XCTAssertEqual(String(decoding: try seed.encoded(), as: UTF8.self), #"{"seed":18446744073709551615}"#)
    }

    func testEncodingSortsKeysAndLeavesSlashes() throws {
        let value = JSONValue.object(["b": .array([.integer(1), .number(0.25)]), "a": .string("runs/x"), "c_d": .null, "e": .bool(false)])
        XCTAssertEqual(String(decoding: try value.encoded(), as: UTF8.self), #"{"a":"runs/x","b":[1,0.25],"c_d":null,"e":false}"#)
        XCTAssertEqual(try JSONValue(parsing: value.encoded(pretty: true)), value)
    }

    func testMalformedTextThrows() {
        XCTAssertThrowsError(try JSONValue(parsing: Array("{\"a\": ".utf8)))
        XCTAssertThrowsError(try JSONValue(parsing: Array("[1, 2".utf8)))
    }

    func testTypedValuesBecomeTreesWithSnakeCaseKeys() throws {
        struct Sample: Encodable { let globalBatch: Int; let rate: Double }
        XCTAssertEqual(try JSONValue(encoding: Sample(globalBatch: 64, rate: 0.5)),
                       .object(["global_batch": .integer(64), "rate": .number(0.5)]))
    }
}
