/// The sliding-window geometry of a 2-D convolution over a channel-major image batch
/// `(C, N, H, W)`: `kernel × kernel` windows, `stride` apart, over the image zero-padded by
/// `padding` on every side, giving `outHeight × outWidth` window positions per sample.
///
/// The column matrix has one row per kernel tap `(c, ki, kj)` and one column per window
/// position `(n, oh, ow)`, both row-major, so it is `columnRows × columnCount(batch:)`.
/// Putting the batch inside the columns makes a convolution over the whole batch one GEMM
/// whose `(Cout, N·Hout·Wout)` result is already the channel-major output — or, when that
/// column matrix would exceed `chunkFloats`, one GEMM per chunk of samples, each writing its
/// block of columns of the same output.
///
/// `im2col` gathers an image into columns and `col2im` scatter-adds columns back into an
/// image: they are adjoint, which is why Conv2d (im2col forward, col2im backward) and
/// ConvTranspose2d (col2im forward, im2col backward) share them. For ConvTranspose2d the
/// "image" is its output, whose window positions are exactly its input pixels.
struct WindowGeometry {
    let channels: Int
    let height: Int
    let width: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    let outHeight: Int
    let outWidth: Int
    /// The largest column matrix built at once, in floats (see `defaultChunkFloats`).
    let chunkFloats: Int
    /// Per kernel row `ki`: the window rows `oh` whose tap row `oh·stride + ki − padding` lies
    /// inside the image; `insideColumns` likewise per kernel column. Computed once here so the
    /// traversal does no divisions.
    private let insideRows: [Range<Int>]
    private let insideColumns: [Range<Int>]

    /// `threads`: the workers that each hold a chunk; they share `defaultChunkFloats`, so the
    /// workspace does not grow with them (each chunk still fits its core's cache).
    init(channels: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Int, threads: Int = 1) {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        outHeight = (height + 2 * padding - kernel) / stride + 1
        outWidth = (width + 2 * padding - kernel) / stride + 1
        chunkFloats = Self.defaultChunkFloats / threads
        insideRows = (0..<kernel).map { [outHeight] ki in
            Self.insidePositions(tapOffset: ki - padding, size: height, positions: outHeight, stride: stride)
        }
        insideColumns = (0..<kernel).map { [outWidth] kj in
            Self.insidePositions(tapOffset: kj - padding, size: width, positions: outWidth, stride: stride)
        }
    }

    /// Rows of the column matrix: one per kernel tap.
    var columnRows: Int { channels * kernel * kernel }

    /// Columns of the column matrix: one per window position of every sample.
    func columnCount(batch: Int) -> Int { batch * outHeight * outWidth }

    /// The most floats a column matrix may take (read when a geometry is made): larger ones
    /// are built and multiplied a chunk of samples at a time. A chunk of a few MB stays in
    /// cache between im2col (or the GEMM writing it) and the GEMM (or col2im) reading it, and
    /// the workspace stays small, while the GEMMs remain wide (N ≥ several hundred columns
    /// for the reference models). Tests lower it to exercise chunking on small layers.
    static var defaultChunkFloats = 1 << 20

    /// Samples per column chunk for a batch: the batch split into the fewest equal chunks
    /// whose column matrices fit `floats` (`chunkFloats` unless given; at least one sample).
    func samplesPerChunk(batch: Int, floats: Int? = nil) -> Int {
        let perSample = columnRows * outHeight * outWidth
        let fitting = max(1, min(batch, (floats ?? chunkFloats) / max(perSample, 1)))
        let chunks = (batch + fitting - 1) / fitting
        return (batch + chunks - 1) / chunks
    }

    /// Floats of column matrix needed to run any `samples` or fewer consecutive samples a
    /// chunk at a time: one worker's workspace. (Not the largest chunk of exactly that many
    /// samples: a smaller count can have larger chunks, e.g. 10 fitting samples in one chunk
    /// against 11 in two of 6.)
    func chunkCount(samples: Int) -> Int {
        let perSample = columnRows * outHeight * outWidth
        return perSample * min(samples, max(1, chunkFloats / max(perSample, 1)))
    }

    /// Calls `body(chunk)` for consecutive chunks of `samples` (see `samplesPerChunk`).
    @inline(__always)
    func forEachChunk(of samples: Range<Int>, floats: Int? = nil, _ body: (Range<Int>) -> Void) {
        let size = samplesPerChunk(batch: samples.count, floats: floats)
        var start = samples.lowerBound
        while start < samples.upperBound {
            body(start..<min(start + size, samples.upperBound))
            start += size
        }
    }

    /// Sets the samples `samples` of `image` (channels, batch, height, width) to zero: one
    /// worker's share of an image that col2im then adds into.
    func zero(_ image: UnsafeMutablePointer<Float>, batch: Int, samples: Range<Int>) {
        let plane = height * width
        for c in 0..<channels {
            (image + (c * batch + samples.lowerBound) * plane).update(repeating: 0, count: samples.count * plane)
        }
    }

    /// Copies the samples `samples` of `image` (channels, batch, height, width) into the
    /// column matrix `column` (`columnRows × columnCount(batch: samples.count)`); taps in the
    /// padding read zero.
    func im2col(_ image: UnsafePointer<Float>, into column: UnsafeMutablePointer<Float>, batch: Int, samples: Range<Int>) {
        if padding > 0 { column.update(repeating: 0, count: columnRows * columnCount(batch: samples.count)) }
        forEachRun(batch: batch, samples: samples) { columnStart, imageStart, length, imageStride in
            for t in 0..<length { column[columnStart + t] = image[imageStart + t * imageStride] }
        }
    }

    /// Adds every entry of the column matrix of `samples` into the image pixel it was gathered
    /// from (entries for taps in the padding are dropped). Does not zero `image` first.
    func col2im(_ column: UnsafePointer<Float>, addingInto image: UnsafeMutablePointer<Float>, batch: Int, samples: Range<Int>) {
        forEachRun(batch: batch, samples: samples) { columnStart, imageStart, length, imageStride in
            for t in 0..<length { image[imageStart + t * imageStride] += column[columnStart + t] }
        }
    }

    /// The traversal shared by im2col and col2im over the column matrix of `samples`. Calls
    /// `body(columnStart, imageStart, length, imageStride)` for every run of `length`
    /// consecutive column-matrix entries, starting at `columnStart`, whose taps land inside
    /// the image at `imageStart, imageStart + imageStride, …`. Taps in the padding are
    /// skipped; the in-image ranges are worked out up front so the innermost loop has no
    /// bounds tests.
    ///
    /// Runs normally follow one output row (image stride = convolution stride). Samples are
    /// visited one at a time so each image plane stays in cache across all k² taps.
    @inline(__always)
    private func forEachRun(batch: Int, samples: Range<Int>,
                            _ body: (_ columnStart: Int, _ imageStart: Int, _ length: Int, _ imageStride: Int) -> Void) {
        let positions = outHeight * outWidth
        let count = samples.count
        let columns = count * positions
        let plane = height * width
        if positions == 1 {
            // One window per sample (D's head, whose kernel covers the image, or G's first
            // transposed convolution from 1×1 noise): rows would be single entries, so run
            // along the samples instead, where the column matrix is contiguous.
            for c in 0..<channels {
                for ki in 0..<kernel where !insideRows[ki].isEmpty {
                    for kj in 0..<kernel where !insideColumns[kj].isEmpty {
                        let imageStart = (c * batch + samples.lowerBound) * plane + (ki - padding) * width + (kj - padding)
                        body(((c * kernel + ki) * kernel + kj) * count, imageStart, count, plane)
                    }
                }
            }
            return
        }
        for c in 0..<channels {
            for n in samples {
                let imagePlane = (c * batch + n) * plane
                for ki in 0..<kernel {
                    let rows = insideRows[ki]
                    for kj in 0..<kernel {
                        let cols = insideColumns[kj]
                        guard !cols.isEmpty else { continue }
                        let columnSample = ((c * kernel + ki) * kernel + kj) * columns + (n - samples.lowerBound) * positions
                        for oh in rows {
                            let ih = oh * stride + ki - padding
                            let iw = cols.lowerBound * stride + kj - padding
                            body(columnSample + oh * outWidth + cols.lowerBound, imagePlane + ih * width + iw,
                                 cols.count, stride)
                        }
                    }
                }
            }
        }
    }

    /// The window positions `o` in `0..<positions` whose tap `o·stride + tapOffset` lies in `0..<size`.
    private static func insidePositions(tapOffset: Int, size: Int, positions: Int, stride: Int) -> Range<Int> {
        let lower = tapOffset >= 0 ? 0 : (-tapOffset + stride - 1) / stride
        let upper = size - 1 - tapOffset >= 0 ? min(positions, (size - 1 - tapOffset) / stride + 1) : 0
        return lower..<max(lower, upper)
    }
}
