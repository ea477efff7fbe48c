/// sgemm against a plain triple loop, on shapes that are no multiple of any vector width,
/// transposed and not, with and without β: the proof that a family of kernels Gantry
/// selected computes what OpenBLAS's own choice would (KernelSelection runs it in a child
/// process first, since a kernel the CPU cannot run crashes instead of erring).
public enum SGEMMSelfCheck {
    public struct Case: CustomStringConvertible {
        var m, n, k: Int
        var transposeA = false, transposeB = false
        var alpha: Float = 1, beta: Float = 0

        public var description: String {
            "\(m)×\(n)×\(k)\(transposeA ? " Aᵀ" : "")\(transposeB ? " Bᵀ" : ""), α \(alpha), β \(beta)"
        }
    }

    /// Small shapes (OpenBLAS's small-matrix and edge code) and one past a few blocks of the
    /// packed path.
    public static let cases = [
        Case(m: 17, n: 33, k: 7),
        Case(m: 33, n: 17, k: 65, transposeA: true, alpha: 0.75, beta: 0.5),
        Case(m: 7, n: 129, k: 31, transposeB: true, alpha: -1.5),
        Case(m: 65, n: 9, k: 130, transposeA: true, transposeB: true, beta: 1),
        Case(m: 1, n: 40, k: 1),
        Case(m: 97, n: 131, k: 257, alpha: 0.5, beta: -0.25),
    ]

    /// The first case in which sgemm differs from the reference by more than float rounding
    /// can explain, as one line; nil when every case agrees.
    public static func firstDisagreement() -> String? {
        for check in cases {
            let error = relativeError(check)
            if !(error <= 1) { return "sgemm \(check) differs from the reference (\(error) times the rounding bound)" }
        }
        return nil
    }

    /// The largest |sgemm − reference| of a case over its rounding bound, per element:
    /// 4 (k + 2) · 2⁻²⁴ · (|α| Σ|a·b| + |β c₀|), generous for any summation order, far below
    /// what a wrong kernel gives. NaN (never ≤ 1) when an element is not finite.
    static func relativeError(_ check: Case) -> Double {
        let (m, n, k) = (check.m, check.n, check.k)
        // Stored as op(X) says: A is m×k, or k×m when transposed; B is k×n, or n×k.
        let a = values(count: m * k, salt: 1), b = values(count: k * n, salt: 2), c0 = values(count: m * n, salt: 3)
        var c = c0
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    sgemm(transposeA: check.transposeA, transposeB: check.transposeB, m: m, n: n, k: k, alpha: check.alpha,
                          a: a.baseAddress!, b: b.baseAddress!, beta: check.beta, c: c.baseAddress!)
                }
            }
        }
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let x = Double(check.transposeA ? a[p * m + i] : a[i * k + p])
                    let y = Double(check.transposeB ? b[j * k + p] : b[p * n + j])
                    sum += x * y
                    magnitude += abs(x * y)
                }
                let alpha = Double(check.alpha), beta = Double(check.beta), initial = Double(c0[i * n + j])
                let reference = alpha * sum + beta * initial
                let bound = 4 * Double(k + 2) * 0x1p-24 * (abs(alpha) * magnitude + abs(beta * initial)) + 0x1p-126
                let value = Double(c[i * n + j])
                guard value.isFinite else { return .nan }
                worst = max(worst, abs(value - reference) / bound)
            }
        }
        return worst
    }

    /// Deterministic values in [−1, 1] with many distinct mantissas.
    static func values(count: Int, salt: UInt64) -> [Float] {
        (0..<count).map { index in
            let mixed = (UInt64(index) &+ salt &* 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9
            return Float((mixed >> 40) % 20_001) / 10_000 - 1
        }
    }
}
