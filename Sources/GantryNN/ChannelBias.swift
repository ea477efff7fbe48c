// Per-channel bias, shared by Conv2d and ConvTranspose2d (and Linear's forward): in the
// channel-major layout each output channel's values over the whole batch are one
// contiguous row.

/// Adds `bias[c]` to the `count` contiguous values of channel `c` (channel-major layout: `count = N·H·W`).
func addChannelBias(_ bias: UnsafePointer<Float>, to values: UnsafeMutablePointer<Float>, channels: Int, count: Int) {
    for c in 0..<channels {
        let row = values + c * count
        let b = bias[c]
        for i in 0..<count { row[i] += b }
    }
}

/// Adds the sum of channel `c`'s `count` contiguous values to `sums[c]`: the bias gradient
/// from the output gradient. Summed in Double because `count` spans the whole batch.
func accumulateChannelSums(_ values: UnsafePointer<Float>, into sums: UnsafeMutablePointer<Float>,
                           channels: Int, count: Int) {
    for c in 0..<channels {
        let row = values + c * count
        var sum = 0.0
        for i in 0..<count { sum += Double(row[i]) }
        sums[c] += Float(sum)
    }
}
