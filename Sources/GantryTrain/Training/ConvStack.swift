import GantryNN

/// The DCGAN pattern: transposed convolutions that double the resolution for G,
/// strided convolutions that halve it for D, BatchNorm between. Like the PyTorch DCGAN example,
/// no convolution has a bias: BatchNorm's shift makes one redundant, and the ends do without
/// (D without BatchNorm, `--d-norm none`, has a bias where BatchNorm was).
enum ConvStack {
    /// G: ConvT(noise→c0, k0, s1, p0) BN ReLU → ConvT(c_i→c_{i+1}, k, s2, p1) BN ReLU … → ConvT(→output) Tanh.
    static func generator(noise: Int, channels: [Int], output: Int, kernels: [Int]) -> [Layer] {
        var layers: [Layer] = []
        var shape = Shape(channels: noise, height: 1, width: 1)
        let widths = channels + [output]
        for (i, outChannels) in widths.enumerated() {
            let first = i == 0, last = i == widths.count - 1
            let convolution = ConvTranspose2d(input: shape, outChannels: outChannels, kernel: kernels[i],
                                              stride: first ? 1 : 2, padding: first ? 0 : 1, bias: false)
            layers.append(convolution)
            shape = convolution.outputShape
            if last {
                layers.append(Tanh(shape))
            } else {
                layers.append(BatchNorm(shape))
                layers.append(ReLU(shape))
            }
        }
        return layers
    }

    /// D: Conv(in→c0, k, s2, p1) LReLU → Conv(c_i→c_{i+1}, k, s2, p1) BN LReLU … → Conv(→1, k, s1, p0), a logit.
    /// With `norm` `.none` the inner convolutions have a bias instead of the BatchNorm after them.
    /// With `minibatchStddevGroup`, a MinibatchStddev layer over groups of that size before the last convolution.
    static func discriminator(input: Shape, channels: [Int], kernels: [Int], norm: DiscriminatorNorm,
                              minibatchStddevGroup: Int? = nil) -> [Layer] {
        var layers: [Layer] = []
        var shape = input
        for (i, outChannels) in channels.enumerated() {
            let normalised = i > 0 && norm == .batch
            let convolution = Conv2d(input: shape, outChannels: outChannels, kernel: kernels[i],
                                     stride: 2, padding: 1, bias: i > 0 && !normalised)
            layers.append(convolution)
            shape = convolution.outputShape
            if normalised { layers.append(BatchNorm(shape)) }
            layers.append(LeakyReLU(shape, slope: 0.2))
        }
        if let minibatchStddevGroup {
            let stddev = MinibatchStddev(shape, groupSize: minibatchStddevGroup)
            layers.append(stddev)
            shape = stddev.outputShape
        }
        let head = Conv2d(input: shape, outChannels: 1, kernel: kernels[channels.count], stride: 1, padding: 0, bias: false)
        precondition(head.outputShape == Shape(channels: 1), "discriminator head must reduce to one logit, got \(head.outputShape)")
        layers.append(head)
        return layers
    }
}
