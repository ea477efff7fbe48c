// PNG files through libpng's simplified API (png_image): no setjmp/longjmp error
// handling to bridge into Swift; failures come back as a return code plus a message.
import CPNG
import Glibc

/// An 8-bit image: `channels` = 1 (gray) or 3 (RGB), row-major, channels interleaved.
public struct PNGImage: Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(channels == 1 || channels == 3, "PNGImage supports 1 (gray) or 3 (RGB) channels")
        precondition(width > 0 && height > 0 && pixels.count == width * height * channels,
                     "PNGImage: \(pixels.count) bytes for \(width)x\(height)x\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// A blank image of one colour (`value` repeated in every channel).
    public init(width: Int, height: Int, channels: Int, filledWith value: UInt8) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: value, count: width * height * channels))
    }

    /// Writes the PNG atomically: into a temporary file in the same directory (so the
    /// rename cannot cross file systems), then renamed over `path`. A viewer polling
    /// the file during training never sees half an image.
    public func write(to path: String) throws {
        let temporary = Self.temporaryPath(for: path)
        var image = writeControl()
        let ok = pixels.withUnsafeBytes { bytes in
            png_image_write_to_file(&image, temporary, 0, bytes.baseAddress, Int32(width * channels), nil)
        }
        guard ok != 0 else {
            let message = Self.message(of: &image)
            png_image_free(&image)
            unlink(temporary)
            throw PNGError(path: path, message: message)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw PNGError(path: path, message: "cannot rename the temporary file into place: \(reason)")
        }
    }

    /// The PNG file's bytes, encoded in memory (for a file that embeds the picture, such as
    /// a TensorBoard event file).
    public func encoded() throws -> [UInt8] {
        // Room for the pixels stored uncompressed plus headers, which deflate never exceeds
        // by much; libpng reports the size it needs when that is not enough.
        let rawSize = height * (width * channels + 1)
        var capacity = rawSize + rawSize / 8 + 1024
        for _ in 0..<2 {
            var image = writeControl()
            var bytes = [UInt8](repeating: 0, count: capacity)
            var size = png_alloc_size_t(capacity)
            let ok = pixels.withUnsafeBytes { source in
                bytes.withUnsafeMutableBytes { memory in
                    png_image_write_to_memory(&image, memory.baseAddress, &size, 0, source.baseAddress, Int32(width * channels), nil)
                }
            }
            if ok != 0 { return Array(bytes.prefix(Int(size))) }
            let message = Self.message(of: &image)
            png_image_free(&image)
            guard Int(size) > capacity else { throw PNGError(path: "(in memory)", message: message) }
            capacity = Int(size)
        }
        throw PNGError(path: "(in memory)", message: "the encoded image outgrew the size libpng asked for")
    }

    /// The control structure for writing this image: its size and pixel format.
    private func writeControl() -> png_image {
        var image = Self.makeControl()
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
        return image
    }

    /// Reads a PNG as gray (if it has no colour) or RGB; alpha is composited onto black.
    /// An image of more than `maximumPixels` pixels is refused before its pixels are allocated.
    public static func read(from path: String, maximumPixels: Int = ImageLimits.maximumPixels) throws -> PNGImage {
        var image = makeControl()
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            let message = Self.message(of: &image)
            png_image_free(&image)
            throw PNGError(path: path, message: message)
        }
        guard Int(image.width) * Int(image.height) <= maximumPixels else {
            png_image_free(&image)
            throw PNGError(path: path, message: "\(image.width)x\(image.height) pixels, more than the \(maximumPixels) an image may have")
        }
        let channels = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0 ? 3 : 1
        image.format = channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
        let width = Int(image.width), height = Int(image.height)
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let ok = pixels.withUnsafeMutableBytes { bytes in
            png_image_finish_read(&image, nil, bytes.baseAddress, Int32(width * channels), nil)
        }
        guard ok != 0 else {
            let message = Self.message(of: &image)
            png_image_free(&image)
            throw PNGError(path: path, message: message)
        }
        return PNGImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// A zeroed control structure with the API version libpng checks.
    private static func makeControl() -> png_image {
        var image = png_image()
        // PNG_IMAGE_VERSION is a plain integer macro (1), which Swift imports as a constant.
        image.version = UInt32(PNG_IMAGE_VERSION)
        return image
    }

    /// png_image.message is a fixed char[64], imported as a tuple.
    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            let text = String(decoding: bytes, as: UTF8.self)
            return text.isEmpty ? "unknown libpng error" : text
        }
    }

    /// `dir/.name.tmp-PID-RANDOM`: hidden, unique per process and call.
    private static func temporaryPath(for path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        return "\(directory).\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }
}

/// A PNG read or write failed; libpng's own message says why.
public struct PNGError: Error, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "PNG file '\(path)': \(message)." }
}
