/// 2-D convolution (cross-correlation, as in PyTorch) with square kernels.
///
/// Weight stored `(Cout, Cin, k, k)` row-major, then the bias `(Cout)` when present.
/// Output size per side: `(H + 2p − k) / s + 1`.
///
/// With the oneDNN backend (ConvolutionBackend) oneDNN runs all three passes instead; what
/// follows is Gantry's own code, the reference.
///
/// Forward is im2col over the whole batch and one GEMM: the weight viewed as a
/// `Cout × Cin·k·k` matrix times the `Cin·k·k × N·Hout·Wout` column matrix is directly the
/// channel-major `(Cout, N, Hout, Wout)` output. (A column matrix larger than
/// `WindowGeometry.chunkFloats` is built and multiplied a chunk of samples at a time.) The
/// column matrix lives in the network's shared workspace, so backward rebuilds it from the
/// input rather than trusting it survived.
public final class Conv2d: ConvolutionLayer, Layer {
    public init(input: Shape, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true) {
        ConvolutionLayer.validate("Conv2d", input: input, outChannels: outChannels,
                                  kernel: kernel, stride: stride, padding: padding)
        precondition(input.height + 2 * padding >= kernel && input.width + 2 * padding >= kernel,
                     "Conv2d: kernel \(kernel) is larger than the padded input \(input) (padding \(padding))")
        // Windows over the input.
        let workers = WorkerPool.shared
        let geometry = WindowGeometry(channels: input.channels, height: input.height, width: input.width,
                                      kernel: kernel, stride: stride, padding: padding, threads: workers.threads)
        super.init(input: input, output: Shape(channels: outChannels, height: geometry.outHeight, width: geometry.outWidth),
                   bias: bias, geometry: geometry, workers: workers, transposed: false)
    }

    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
        let positions = outputShape.spatial, columns = geometry.columnCount(batch: batch)
        workers.forEachPart(of: batch) { part, worker in
            let column = column(worker: worker, batch: batch)
            if let onednn {
                onednn.forward(input, weight: weight, into: output, samples: part, batch: batch, worker: worker, arena: column)
                return
            }
            geometry.forEachChunk(of: part) { samples in
                geometry.im2col(input, into: column, batch: batch, samples: samples)
                // Y[:, chunk] (Cout × n·Hout·Wout) = W (Cout × Cin·k·k) · col (Cin·k·k × n·Hout·Wout)
                sgemm(m: outChannels, n: samples.count * positions, k: geometry.columnRows, a: weight, b: column,
                      c: output + samples.lowerBound * positions, ldc: columns)
            }
        }
        if hasBias { addChannelBias(weight + weightCount, to: output, channels: outChannels, count: columns) }
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                         outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?,
                         batch: Int, accumulateParameterGradients: Bool) {
        let positions = outputShape.spatial, columns = geometry.columnCount(batch: batch)
        if accumulateParameterGradients && hasBias {
            accumulateChannelSums(outputGradient, into: weightGradient + weightCount, channels: outChannels, count: columns)
        }
        workers.forEachPart(of: batch) { part, worker in
            let column = column(worker: worker, batch: batch)
            let weightGradient = accumulateParameterGradients ? weightGradient(worker: worker, batch: batch) : nil
            if let onednn {
                onednn.backward(input, outputGradient, weight: weight, inputGradient: inputGradient, addingInto: weightGradient,
                                samples: part, batch: batch, worker: worker, arena: column)
                return
            }
            if let inputGradient { geometry.zero(inputGradient, batch: batch, samples: part) }
            geometry.forEachChunk(of: part) { samples in
                let n = samples.count * positions, dY = outputGradient + samples.lowerBound * positions
                if let weightGradient {
                    geometry.im2col(input, into: column, batch: batch, samples: samples)
                    // dW (Cout × Cin·k·k) += dY[:, chunk] (Cout × n·Hout·Wout) · colᵀ
                    sgemm(transposeB: true, m: outChannels, n: geometry.columnRows, k: n,
                          a: dY, lda: columns, b: column, beta: 1, c: weightGradient)
                }
                if let inputGradient {
                    // dCol (Cin·k·k × n·Hout·Wout) = Wᵀ · dY[:, chunk], reusing the column buffer (col
                    // is no longer needed), then scattered back onto the pixels it was gathered from.
                    sgemm(transposeA: true, m: geometry.columnRows, n: n, k: outChannels,
                          a: weight, b: dY, ldb: columns, c: column)
                    geometry.col2im(column, addingInto: inputGradient, batch: batch, samples: samples)
                }
            }
        }
        if accumulateParameterGradients { addWorkerWeightGradients(batch: batch) }
    }

    // Backward of backward: backward computed dX = col2im(Wᵀ·dY), linear in W and in dY and
    // free of X and the bias. For an adjoint A of dX, im2col being col2im's adjoint,
    // S = ⟨A, col2im(Wᵀ·dY)⟩ = ⟨im2col(A), Wᵀ·dY⟩ = ⟨W·im2col(A), dY⟩: so dS/d(dY) is the
    // forward convolution of A without bias, and dS/dW = dY·im2col(A)ᵀ, the weight gradient
    // backward would compute with A as the input. The bias gets nothing.
    public var hasBackwardOfBackward: Bool { true }

    public func backwardOfBackward(input: UnsafePointer<Float>, output: UnsafePointer<Float>,
                                   outputGradient: UnsafePointer<Float>, inputGradientAdjoint: UnsafePointer<Float>,
                                   outputGradientAdjoint: UnsafeMutablePointer<Float>?, batch: Int) {
        let positions = outputShape.spatial, columns = geometry.columnCount(batch: batch)
        let chunkFloats = columnCount(batch: batch)   // a oneDNN arena can be smaller than an im2col chunk
        workers.forEachPart(of: batch) { part, worker in
            let column = column(worker: worker, batch: batch)
            let weightGradient = weightGradient(worker: worker, batch: batch)
            geometry.forEachChunk(of: part, floats: chunkFloats) { samples in
                let n = samples.count * positions, first = samples.lowerBound * positions
                geometry.im2col(inputGradientAdjoint, into: column, batch: batch, samples: samples)
                // dW (Cout × Cin·k·k) += dY[:, chunk] (Cout × n·Hout·Wout) · im2col(A)ᵀ
                sgemm(transposeB: true, m: outChannels, n: geometry.columnRows, k: n,
                      a: outputGradient + first, lda: columns, b: column, beta: 1, c: weightGradient)
                if let outputGradientAdjoint {
                    // dS/d(dY)[:, chunk] (Cout × n·Hout·Wout) = W (Cout × Cin·k·k) · im2col(A)
                    sgemm(m: outChannels, n: n, k: geometry.columnRows, a: weight, b: column,
                          c: outputGradientAdjoint + first, ldc: columns)
                }
            }
        }
        addWorkerWeightGradients(batch: batch)
    }
}
