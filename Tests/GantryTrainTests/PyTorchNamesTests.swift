import XCTest
@testable import GantryTrain
import GantryNN

/// Every model's G and D get the keys and shapes of the PyTorch modules of docs/export.md
/// (Tests/Fixtures/export, written by hand from PyTorch's naming rules), and each tensor
/// holds the floats of its own slice of the flat buffers.
final class PyTorchNamesTests: XCTestCase {
    func testEveryModelHasThePyTorchKeysAndShapes() throws {
        for model in ModelKind.allCases {
            let url = URL(fileURLWithPath: CheckpointFixtureTests.fixtures + "/export/\(model.rawValue).json")
            let expected = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: [String: [Int]]])
            for (network, layers) in [("generator", Architecture(model).generatorLayers()), ("discriminator", Architecture(model).discriminatorLayers())] {
                let tensors = PyTorchNames.tensors(layers: layers, snapshot: Self.numbered(layers), trainingPasses: 7)
                XCTAssertEqual(Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.shape) }), expected[network],
                               "\(model.rawValue) \(network)")
            }
        }
    }

    /// Parameters and state numbered 0, 1, 2, … in their flat buffers: the tensors must cover
    /// each buffer once, in order (weights as stored, no transposition), and count passes.
    func testTensorsAreTheFlatBuffersInOrder() throws {
        let layers = Architecture(.dcgan28).generatorLayers()
        let snapshot = Self.numbered(layers)
        let tensors = PyTorchNames.tensors(layers: layers, snapshot: snapshot, trainingPasses: 7)
        func floats(_ tensor: ExportTensor) -> [Float] {
            stride(from: 0, to: tensor.bytes.count, by: 4).map { i in
                Float(bitPattern: tensor.bytes[i..<i + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) })
            }
        }
        let parameters = tensors.filter { !$0.name.hasSuffix("running_mean") && !$0.name.hasSuffix("running_var") && $0.elementType == .float32 }
        XCTAssertEqual(parameters.flatMap(floats), snapshot.parameters)
        let state = tensors.filter { $0.name.hasSuffix("running_mean") || $0.name.hasSuffix("running_var") }
        XCTAssertEqual(state.flatMap(floats), snapshot.state)
        let counts = tensors.filter { $0.elementType == .int64 }
        XCTAssertEqual(counts.map(\.name), ["1.num_batches_tracked", "4.num_batches_tracked", "7.num_batches_tracked"])
        XCTAssertEqual(counts.map(\.bytes), Array(repeating: [7, 0, 0, 0, 0, 0, 0, 0], count: 3))
    }

    private static func numbered(_ layers: [Layer]) -> NetworkSnapshot {
        let parameters = layers.reduce(0) { $0 + $1.parameterCount }, state = layers.reduce(0) { $0 + $1.stateCount }
        return NetworkSnapshot(parameters: (0..<parameters).map(Float.init), state: (0..<state).map { Float(-1 - $0) },
                               adamStep: 0, adamFirstMoment: [], adamSecondMoment: [])
    }
}
