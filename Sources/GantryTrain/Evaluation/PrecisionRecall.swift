import GantryNN

/// Improved precision and recall (Kynkäänniemi et al. 2019): each set of feature vectors
/// defines a manifold, the union of balls around its points reaching their k-th nearest
/// neighbour (k = 3). Precision is the share of generated points inside the real manifold
/// (are the samples realistic?), recall the share of real points inside the generated
/// manifold (is the data's variety reproduced?).
public enum PrecisionRecall {
    public static let k = 3

    /// `real` and `generated` are sample-major (`count × dimension`).
    public static func measure(real: [Float], generated: [Float], dimension: Int) -> (precision: Double, recall: Double) {
        let realCount = real.count / dimension, generatedCount = generated.count / dimension
        let realRadii = radii(real, count: realCount, dimension: dimension)
        let generatedRadii = radii(generated, count: generatedCount, dimension: dimension)
        let cross = squaredDistances(generated, generatedCount, real, realCount, dimension)   // generated × real
        var precise = 0, recalled = [Bool](repeating: false, count: realCount)
        for g in 0..<generatedCount {
            var inside = false
            for r in 0..<realCount {
                let d = cross[g * realCount + r]
                if d <= realRadii[r] { inside = true }
                if d <= generatedRadii[g] { recalled[r] = true }
            }
            if inside { precise += 1 }
        }
        return (Double(precise) / Double(max(generatedCount, 1)),
                Double(recalled.filter { $0 }.count) / Double(max(realCount, 1)))
    }

    /// Squared distance of each point to its k-th nearest other point.
    static func radii(_ points: [Float], count: Int, dimension: Int) -> [Float] {
        let distances = squaredDistances(points, count, points, count, dimension)
        return (0..<count).map { i in
            // The k+1 smallest distances include the point's own (0).
            var smallest = [Float](repeating: .infinity, count: k + 1)
            for j in 0..<count {
                let d = distances[i * count + j]
                if d < smallest[k] {
                    smallest[k] = d
                    smallest.sort()
                }
            }
            return smallest[k]
        }
    }

    /// |a_i − b_j|² for all pairs (`countA × countB`, row-major): |a|² + |b|² − 2 a·b, the
    /// products in one GEMM.
    static func squaredDistances(_ a: [Float], _ countA: Int, _ b: [Float], _ countB: Int, _ dimension: Int) -> [Float] {
        var products = [Float](repeating: 0, count: countA * countB)
        // P (countA × countB) = A (countA × d) · Bᵀ (d × countB)
        sgemm(transposeB: true, m: countA, n: countB, k: dimension, a: a, b: b, c: &products)
        let normsA = (0..<countA).map { i in (0..<dimension).reduce(Float(0)) { $0 + a[i * dimension + $1] * a[i * dimension + $1] } }
        let normsB = (0..<countB).map { j in (0..<dimension).reduce(Float(0)) { $0 + b[j * dimension + $1] * b[j * dimension + $1] } }
        for i in 0..<countA {
            for j in 0..<countB { products[i * countB + j] = max(normsA[i] + normsB[j] - 2 * products[i * countB + j], 0) }
        }
        return products
    }
}
