import XCTest
import GantryNN

/// A small deterministic generator (SplitMix64) so every test sees the same numbers.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 24) }

    mutating func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * unit() }

    /// Uniform in ±[0.1, 1): keeps values away from the kinks of ReLU-like functions so a
    /// finite-difference step never crosses one.
    mutating func awayFromZero() -> Float {
        let magnitude = uniform(0.1, 1)
        return next() & 1 == 0 ? magnitude : -magnitude
    }

    mutating func fill(_ buffer: FloatBuffer, _ low: Float = -1, _ high: Float = 1) {
        for i in 0..<buffer.count { buffer[i] = uniform(low, high) }
    }

    /// `count` distinct indices of `0..<total` (all of them when `total <= count`), sorted.
    mutating func sample(_ count: Int, of total: Int) -> [Int] {
        guard total > count else { return Array(0..<total) }
        var chosen = Set<Int>()
        while chosen.count < count { chosen.insert(Int(next() % UInt64(total))) }
        return chosen.sorted()
    }
}

/// A standalone layer with its own parameter, gradient, state, workspace, input and output
/// buffers, bound the way a Network would bind it.
final class LayerHarness {
    let layer: Layer
    let batch: Int
    let parameters: FloatBuffer
    let gradients: FloatBuffer
    let state: FloatBuffer
    let workspace: FloatBuffer
    let input: FloatBuffer
    let output: FloatBuffer

    init(_ layer: Layer, batch: Int) {
        self.layer = layer
        self.batch = batch
        parameters = FloatBuffer(count: layer.parameterCount)
        gradients = FloatBuffer(count: layer.parameterCount)
        state = FloatBuffer(count: layer.stateCount)
        workspace = FloatBuffer(count: layer.workspaceCount(batch: batch))
        input = FloatBuffer(count: layer.inputShape.count * batch)
        output = FloatBuffer(count: layer.outputShape.count * layer.outputBatch(forInput: batch))
        // The workspace is shared between layers: a layer must never read what it did not write.
        workspace.load(Array(repeating: .nan, count: workspace.count))
        output.load(Array(repeating: .nan, count: output.count))
        layer.bind(parameters: parameters.pointer, gradients: gradients.pointer,
                   state: state.pointer, workspace: workspace.pointer)
        layer.resetState()
    }

    func forward(training: Bool) {
        layer.forward(input: input.pointer, output: output.pointer, batch: batch, training: training)
    }

    func backward(_ outputGradient: FloatBuffer, inputGradient: FloatBuffer?, accumulate: Bool) {
        layer.backward(input: input.pointer, output: output.pointer, outputGradient: outputGradient.pointer,
                       inputGradient: inputGradient?.pointer, batch: batch, accumulateParameterGradients: accumulate)
    }
}

/// Runs `layer`'s forward pass on random input and parameters (batch 2) and compares every
/// output with `reference(input, parameters)`, a direct textbook computation.
func assertForwardMatches<L: Layer>(_ layer: L, random: inout SplitMix64,
                                    reference: (L, FloatBuffer, FloatBuffer, Int) -> [Float],
                                    file: StaticString = #filePath, line: UInt = #line) {
    let harness = LayerHarness(layer, batch: 2)
    random.fill(harness.input)
    random.fill(harness.parameters)
    harness.forward(training: true)
    let expected = reference(layer, harness.input, harness.parameters, 2)
    for (index, (got, want)) in zip(harness.output.array, expected).enumerated() {
        XCTAssertEqual(got, want, accuracy: 1e-5, "\(layer.summary) output \(index)", file: file, line: line)
    }
}

/// Σ output·weights in Double: a scalar loss whose gradient with respect to the output is `weights`.
func weightedSum(_ output: UnsafePointer<Float>, _ weights: FloatBuffer) -> Double {
    var sum = 0.0
    for i in 0..<weights.count { sum += Double(output[i]) * Double(weights[i]) }
    return sum
}

/// Central difference of `loss` with respect to `values[index]`, restoring the value after.
func centralDifference(_ values: FloatBuffer, _ index: Int, step: Float, loss: () -> Double) -> Double {
    let saved = values[index]
    values[index] = saved + step
    let plus = loss()
    values[index] = saved - step
    let minus = loss()
    values[index] = saved
    return (plus - minus) / Double(2 * step)
}

/// Asserts that analytic and numeric gradients agree within `relative` of their size, plus an
/// absolute floor of `relative` times the largest analytic entry (finite differences in Float
/// carry rounding noise that does not shrink with the entry).
func assertGradientsMatch(analytic: [Float], numeric: [Double], indices: [Int], what: String,
                          relative: Double = 5e-3, file: StaticString = #filePath, line: UInt = #line) {
    let largest = indices.map { abs(Double(analytic[$0])) }.max() ?? 0
    var failures = 0
    for (k, i) in indices.enumerated() {
        let a = Double(analytic[i]), n = numeric[k]
        let tolerance = relative * max(abs(a), abs(n)) + relative * max(largest, 1e-2)
        if !(abs(a - n) <= tolerance) {
            failures += 1
            if failures <= 5 {
                XCTFail("\(what)[\(i)]: analytic \(a), numeric \(n)", file: file, line: line)
            }
        }
    }
    if failures > 5 { XCTFail("\(what): \(failures) mismatches in \(indices.count) checked", file: file, line: line) }
}

/// Finite-difference check of a layer's input and parameter gradients for the loss Σ output·R.
///
/// Also checks the backward contract: parameter gradients are *added* to what the buffer held,
/// the input gradient is overwritten (it starts as NaN), `accumulateParameterGradients: false`
/// leaves the gradient buffer alone, and a nil input gradient still accumulates.
/// `prepare` runs once the harness holds random inputs and parameters (e.g. to set state).
func checkLayerGradients(_ layer: Layer, batch: Int, training: Bool = true, seed: UInt64,
                         step: Float = 1e-2, maxChecks: Int = 150, prepare: (LayerHarness) -> Void = { _ in },
                         file: StaticString = #filePath, line: UInt = #line) {
    var random = SplitMix64(seed: seed)
    let harness = LayerHarness(layer, batch: batch)
    for i in 0..<harness.input.count { harness.input[i] = random.awayFromZero() }
    random.fill(harness.parameters, -0.5, 1)
    let weights = FloatBuffer(count: harness.output.count)
    random.fill(weights)
    let initialGradients = FloatBuffer(count: harness.gradients.count)
    random.fill(initialGradients)
    harness.gradients.copy(from: initialGradients.pointer)
    prepare(harness)

    // Analytic gradients.
    harness.forward(training: training)
    let inputGradient = FloatBuffer(count: harness.input.count)
    inputGradient.load(Array(repeating: .nan, count: inputGradient.count))
    harness.backward(weights, inputGradient: inputGradient, accumulate: true)
    let parameterGradient = (0..<harness.gradients.count).map { harness.gradients[$0] - initialGradients[$0] }

    // The other backward modes, against the same forward pass.
    let afterFirst = harness.gradients.array
    let inputGradientAgain = FloatBuffer(count: harness.input.count)
    harness.backward(weights, inputGradient: inputGradientAgain, accumulate: false)
    XCTAssertEqual(harness.gradients.array, afterFirst, "accumulate: false changed the parameter gradients",
                   file: file, line: line)
    XCTAssertEqual(inputGradientAgain.array, inputGradient.array, "input gradient differs between backward calls",
                   file: file, line: line)
    harness.backward(weights, inputGradient: nil, accumulate: true)
    for i in 0..<harness.gradients.count {
        let twice = harness.gradients[i] - initialGradients[i]
        XCTAssertEqual(twice, 2 * parameterGradient[i], accuracy: 1e-4 * max(1, abs(twice)),
                       "second backward did not accumulate parameter gradient \(i)", file: file, line: line)
    }

    // Numeric gradients.
    let loss = { () -> Double in
        harness.forward(training: training)
        return weightedSum(harness.output.pointer, weights)
    }
    let inputIndices = random.sample(maxChecks, of: harness.input.count)
    let numericInput = inputIndices.map { centralDifference(harness.input, $0, step: step, loss: loss) }
    assertGradientsMatch(analytic: inputGradient.array, numeric: numericInput, indices: inputIndices,
                         what: "\(layer.summary) input gradient", file: file, line: line)
    let parameterIndices = random.sample(maxChecks, of: harness.parameters.count)
    let numericParameters = parameterIndices.map { centralDifference(harness.parameters, $0, step: step, loss: loss) }
    assertGradientsMatch(analytic: parameterGradient, numeric: numericParameters, indices: parameterIndices,
                         what: "\(layer.summary) parameter gradient", file: file, line: line)
}

/// Finite-difference check of a layer's backward of its backward (`backwardOfBackward`), for
/// the scalar S = Σ A·backward(R), the adjoint A of the input gradient weighting the input
/// gradient that backward computes from the output gradient R.
///
/// dS/dθ (added to the gradient buffer) and dS/dR (`outputGradientAdjoint`) are compared with
/// central differences of S computed through `backward`; dS/dx, which the pass leaves out
/// because the layer's Jacobian is constant between kinks, must come out zero numerically.
func checkBackwardOfBackward(_ layer: Layer, batch: Int, seed: UInt64, step: Float = 1e-2,
                             maxChecks: Int = 150, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertTrue(layer.hasBackwardOfBackward, "\(layer.summary) has no backward of its backward", file: file, line: line)
    var random = SplitMix64(seed: seed)
    let harness = LayerHarness(layer, batch: batch)
    for i in 0..<harness.input.count { harness.input[i] = random.awayFromZero() }
    random.fill(harness.parameters, -0.5, 1)
    let outputGradient = FloatBuffer(count: harness.output.count), adjoint = FloatBuffer(count: harness.input.count)
    random.fill(outputGradient)
    random.fill(adjoint)
    let initialGradients = FloatBuffer(count: harness.gradients.count)
    random.fill(initialGradients)
    harness.gradients.copy(from: initialGradients.pointer)

    // Analytic: the pass, after the forward pass it belongs to.
    harness.forward(training: true)
    let outputGradientAdjoint = FloatBuffer(count: harness.output.count)
    outputGradientAdjoint.load(Array(repeating: .nan, count: outputGradientAdjoint.count))
    layer.backwardOfBackward(input: harness.input.pointer, output: harness.output.pointer,
                             outputGradient: outputGradient.pointer, inputGradientAdjoint: adjoint.pointer,
                             outputGradientAdjoint: outputGradientAdjoint.pointer, batch: batch)
    let parameterGradient = (0..<harness.gradients.count).map { harness.gradients[$0] - initialGradients[$0] }
    // Without an output-gradient adjoint, the parameter gradient is still added.
    layer.backwardOfBackward(input: harness.input.pointer, output: harness.output.pointer,
                             outputGradient: outputGradient.pointer, inputGradientAdjoint: adjoint.pointer,
                             outputGradientAdjoint: nil, batch: batch)
    for i in 0..<harness.gradients.count {
        let twice = harness.gradients[i] - initialGradients[i]
        XCTAssertEqual(twice, 2 * parameterGradient[i], accuracy: 1e-4 * max(1, abs(twice)),
                       "second pass did not accumulate parameter gradient \(i)", file: file, line: line)
    }

    // Numeric: S through forward and backward.
    let inputGradient = FloatBuffer(count: harness.input.count)
    let s = { () -> Double in
        harness.forward(training: true)
        harness.backward(outputGradient, inputGradient: inputGradient, accumulate: false)
        return weightedSum(inputGradient.pointer, adjoint)
    }
    let parameterIndices = random.sample(maxChecks, of: harness.parameters.count)
    assertGradientsMatch(analytic: parameterGradient,
                         numeric: parameterIndices.map { centralDifference(harness.parameters, $0, step: step, loss: s) },
                         indices: parameterIndices, what: "\(layer.summary) second-order parameter gradient", file: file, line: line)
    let outputIndices = random.sample(maxChecks, of: outputGradient.count)
    assertGradientsMatch(analytic: outputGradientAdjoint.array,
                         numeric: outputIndices.map { centralDifference(outputGradient, $0, step: step, loss: s) },
                         indices: outputIndices, what: "\(layer.summary) output-gradient adjoint", file: file, line: line)
    let inputIndices = random.sample(maxChecks, of: harness.input.count)
    assertGradientsMatch(analytic: Array(repeating: 0, count: harness.input.count),
                         numeric: inputIndices.map { centralDifference(harness.input, $0, step: step, loss: s) },
                         indices: inputIndices, what: "\(layer.summary) second-order input gradient", file: file, line: line)
}
