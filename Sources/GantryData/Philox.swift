// Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011). A counter-based generator is a pure function (counter, key) → 128 random bits.
// There is no state to carry between calls, so any number in the sequence can be computed
// directly from its address. That is what makes the training run independent of the world
// size: the noise of sample b in step a is computed by whichever rank holds that sample,
// and every rank gets the same answer.

/// The Philox4x32 bijection with 10 rounds, exactly as in Random123 (`philox4x32_R(10, …)`).
public enum Philox4x32 {
    /// Round multipliers (Random123's PHILOX_M4x32_0 / _1).
    public static let multiplier0: UInt32 = 0xD251_1F53
    public static let multiplier1: UInt32 = 0xCD9E_8D57
    /// Weyl-sequence key increments between rounds (golden ratio and sqrt(3) - 1).
    public static let keyBump0: UInt32 = 0x9E37_79B9
    public static let keyBump1: UInt32 = 0xBB67_AE85
    /// Ten rounds is the variant Random123 recommends ("Crush-resistant with margin").
    public static let rounds = 10

    /// Encrypts one 128-bit `counter` under a 64-bit `key`: 4 independent uniform words.
    @inlinable
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var c = counter
        var k = key
        for round in 0..<rounds {
            // The key is bumped *between* rounds: the first round uses the key as given.
            if round > 0 {
                k.x &+= keyBump0
                k.y &+= keyBump1
            }
            let p0 = multiplier0.multipliedFullWidth(by: c.x)
            let p1 = multiplier1.multipliedFullWidth(by: c.z)
            c = SIMD4(p1.high ^ c.y ^ k.x, p1.low, p0.high ^ c.w ^ k.y, p0.low)
        }
        return c
    }
}
