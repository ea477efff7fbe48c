/// 2-D transposed convolution with PyTorch semantics: the adjoint (gradient) of a Conv2d
/// with the same kernel, stride and padding, plus an optional bias.
///
/// Weight stored `(Cin, Cout, k, k)` row-major like PyTorch, then the bias `(Cout)` when
/// present. Output size per side: `(H − 1)·s − 2p + k`.
///
/// Forward: col (`Cout·k·k × N·Hin·Win`) = Wᵀ · X with X the channel-major input viewed as
/// `Cin × N·Hin·Win`, then col2im scatters the columns into the output. The output's window
/// positions are exactly the input pixels, so the shared Conv2d geometry taken over the
/// output describes this layer too. Backward mirrors Conv2d's forward: dCol = im2col(dY).
/// Like Conv2d, a column matrix larger than `WindowGeometry.chunkFloats` is handled a chunk
/// of samples at a time. With the oneDNN backend (ConvolutionBackend) oneDNN's
/// deconvolution runs all three passes instead.
public final class ConvTranspose2d: ConvolutionLayer, Layer {
    public init(input: Shape, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true) {
        ConvolutionLayer.validate("ConvTranspose2d", input: input, outChannels: outChannels,
                                  kernel: kernel, stride: stride, padding: padding)
        let outHeight = (input.height - 1) * stride - 2 * padding + kernel
        let outWidth = (input.width - 1) * stride - 2 * padding + kernel
        precondition(outHeight > 0 && outWidth > 0,
                     "ConvTranspose2d: padding \(padding) leaves no output for input \(input) (k\(kernel), s\(stride))")
        // Windows over the output; its window positions are the input pixels.
        let workers = WorkerPool.shared
        let geometry = WindowGeometry(channels: outChannels, height: outHeight, width: outWidth,
                                      kernel: kernel, stride: stride, padding: padding, threads: workers.threads)
        assert(geometry.outHeight == input.height && geometry.outWidth == input.width)
        super.init(input: input, output: Shape(channels: outChannels, height: outHeight, width: outWidth),
                   bias: bias, geometry: geometry, workers: workers, transposed: true)
    }

    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
        let positions = inputShape.spatial, columns = geometry.columnCount(batch: batch)   // N·Hin·Win
        workers.forEachPart(of: batch) { part, worker in
            let column = column(worker: worker, batch: batch)
            if let onednn {
                onednn.forward(input, weight: weight, into: output, samples: part, batch: batch, worker: worker, arena: column)
                return
            }
            geometry.zero(output, batch: batch, samples: part)
            geometry.forEachChunk(of: part) { samples in
                // col (Cout·k·k × n·Hin·Win) = Wᵀ (Cout·k·k × Cin) · X[:, chunk] (Cin × n·Hin·Win)
                sgemm(transposeA: true, m: geometry.columnRows, n: samples.count * positions, k: inChannels,
                      a: weight, b: input + samples.lowerBound * positions, ldb: columns, c: column)
                geometry.col2im(column, addingInto: output, batch: batch, samples: samples)
            }
        }
        if hasBias {
            addChannelBias(weight + weightCount, to: output, channels: outChannels, count: outputShape.spatial * batch)
        }
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                         outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
                         batch: Int, accumulateParameterGradients: Bool) {
        guard accumulateParameterGradients || inputGradient != nil else { return }
        let positions = inputShape.spatial, columns = geometry.columnCount(batch: batch)
        workers.forEachPart(of: batch) { part, worker in
            let column = column(worker: worker, batch: batch)
            let weightGradient = accumulateParameterGradients ? weightGradient(worker: worker, batch: batch) : nil
            if let onednn {
                onednn.backward(input, outputGradient, weight: weight, inputGradient: inputGradient, addingInto: weightGradient,
                                samples: part, batch: batch, worker: worker, arena: column)
                return
            }
            geometry.forEachChunk(of: part) { samples in
                let n = samples.count * positions, offset = samples.lowerBound * positions
                // dCol (Cout·k·k × n·Hin·Win): the output gradient gathered back onto the input pixels.
                geometry.im2col(outputGradient, into: column, batch: batch, samples: samples)
                if let inputGradient {
                    // dX[:, chunk] (Cin × n·Hin·Win) = W (Cin × Cout·k·k) · dCol
                    sgemm(m: inChannels, n: n, k: geometry.columnRows, a: weight, b: column,
                          c: inputGradient + offset, ldc: columns)
                }
                if let weightGradient {
                    // dW (Cin × Cout·k·k) += X[:, chunk] (Cin × n·Hin·Win) · dColᵀ
                    sgemm(transposeB: true, m: inChannels, n: geometry.columnRows, k: n,
                          a: input + offset, lda: columns, b: column, beta: 1, c: weightGradient)
                }
            }
        }
        if accumulateParameterGradients {
            addWorkerWeightGradients(batch: batch)
            if hasBias {
                accumulateChannelSums(outputGradient, into: weightGradient + weightCount,
                                      channels: outChannels, count: outputShape.spatial * batch)
            }
        }
    }
}
