import GantryNN

/// The Fréchet (2-Wasserstein) distance between the Gaussians N(μ₁, Σ₁) and N(μ₂, Σ₂):
/// |μ₁ − μ₂|² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁ Σ₂)^½, as in FID (Heusel et al. 2017).
///
/// tr (Σ₁Σ₂)^½ is computed as tr (A Σ₂ A)^½ with A = Σ₁^½ (the two matrices are similar, so
/// they have the same eigenvalues), where A Σ₂ A is symmetric: two symmetric eigen-
/// decompositions in Double, negative eigenvalues (rounding) clamped to 0. Of a set against
/// itself it is 0 up to rounding.
public enum FrechetDistance {
    public static func between(_ a: FeatureMoments, _ b: FeatureMoments) -> Double {
        precondition(a.dimension == b.dimension && a.count > 1 && b.count > 1, "FrechetDistance needs two sets of ≥ 2 samples")
        let d = a.dimension
        let meanA = a.mean, meanB = b.mean, covA = a.covariance, covB = b.covariance
        var distance = 0.0
        for i in 0..<d { distance += (meanA[i] - meanB[i]) * (meanA[i] - meanB[i]) + covA[i * d + i] + covB[i * d + i] }
        let root = SymmetricEigen(covA, size: d).applying { max($0, 0).squareRoot() }
        // M = A Σ₂ A, symmetrised against rounding.
        let temp = multiply(root, covB, d), product = multiply(temp, root, d)
        var symmetric = product
        for i in 0..<d { for k in 0..<d { symmetric[i * d + k] = (product[i * d + k] + product[k * d + i]) / 2 } }
        let traceRoot = SymmetricEigen(symmetric, size: d).values.reduce(0) { $0 + max($1, 0).squareRoot() }
        return distance - 2 * traceRoot
    }
}

/// Row-major `d × d` product.
private func multiply(_ x: [Double], _ y: [Double], _ d: Int) -> [Double] {
    var z = [Double](repeating: 0, count: d * d)
    for i in 0..<d {
        for k in 0..<d {
            let xik = x[i * d + k]
            for j in 0..<d { z[i * d + j] += xik * y[k * d + j] }
        }
    }
    return z
}
