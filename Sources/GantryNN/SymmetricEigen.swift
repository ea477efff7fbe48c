import CBLAS

/// Eigen-decomposition of a symmetric matrix in Double, through LAPACK's `dsyev` (in
/// OpenBLAS): A = V · diag(λ) · Vᵀ. The evaluation's Fréchet distance takes matrix square
/// roots of covariances with it.
public struct SymmetricEigen {
    /// Eigenvalues, ascending.
    public let values: [Double]
    /// Eigenvectors, row-major `n × n`: eigenvector k is column k (entry i at i·n + k).
    public let vectors: [Double]
    public let size: Int

    /// Decomposes the symmetric `n × n` matrix `matrix` (row-major; only its symmetry is used,
    /// so row- and column-major are the same matrix).
    public init(_ matrix: [Double], size n: Int) {
        precondition(matrix.count == n * n, "SymmetricEigen: \(matrix.count) entries for a \(n)×\(n) matrix")
        var a = matrix, w = [Double](repeating: 0, count: n)
        var jobz = Int8(UInt8(ascii: "V")), uplo = Int8(UInt8(ascii: "U"))
        var order = Int32(n), info: Int32 = 0, query = Int32(-1), optimal = 0.0
        dsyev_(&jobz, &uplo, &order, &a, &order, &w, &optimal, &query, &info)   // asks for the work size
        var lwork = Int32(max(optimal, Double(3 * n)))
        var work = [Double](repeating: 0, count: Int(lwork))
        dsyev_(&jobz, &uplo, &order, &a, &order, &w, &work, &lwork, &info)
        precondition(info == 0, "dsyev failed (info \(info)) on a \(n)×\(n) matrix")
        // LAPACK returns the eigenvectors as the columns of a column-major matrix: as rows of
        // the row-major array. Transposed so that column k is eigenvector k.
        var vectors = [Double](repeating: 0, count: n * n)
        for k in 0..<n { for i in 0..<n { vectors[i * n + k] = a[k * n + i] } }
        values = w
        self.vectors = vectors
        size = n
    }

    /// f(A) = V · diag(f(λ)) · Vᵀ, row-major.
    public func applying(_ f: (Double) -> Double) -> [Double] {
        let n = size, fw = values.map(f)
        var result = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var sum = 0.0
                for k in 0..<n { sum += vectors[i * n + k] * fw[k] * vectors[j * n + k] }
                result[i * n + j] = sum
                result[j * n + i] = sum
            }
        }
        return result
    }
}
