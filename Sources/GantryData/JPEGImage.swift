// JPEG files through libjpeg-turbo, by way of the C target CJPEGCodec: libjpeg reports errors
// with longjmp, which Swift frames cannot survive, so the setjmp lives in C and a failure
// comes back here as a message.
import CJPEGCodec
import Glibc

/// JPEG decoding and encoding in memory. The decoded image is a `PNGImage` (Gantry's 8-bit
/// gray or RGB image, whatever file it came from).
public enum JPEGImage {
    /// Decodes a JPEG to gray (a one-component JPEG) or RGB. Corrupt or cut-off data, and
    /// anything libjpeg would only warn about, is refused; so is an image of more than
    /// `maximumPixels` pixels, before its pixels are allocated. `source` names it in errors.
    public static func decode(_ bytes: [UInt8], source: String, maximumPixels: Int = ImageLimits.maximumPixels) throws -> PNGImage {
        var pixels: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0
        var message = [CChar](repeating: 0, count: Int(GANTRY_JPEG_MESSAGE_LENGTH))
        let status = bytes.withUnsafeBufferPointer { data in
            gantry_jpeg_decode(data.baseAddress, data.count, maximumPixels, &pixels, &width, &height, &channels, &message)
        }
        guard status == 0, let pixels else {
            throw ImageError(path: source, message: String(cString: message))
        }
        defer { free(pixels) }
        let count = Int(width) * Int(height) * Int(channels)
        return PNGImage(width: Int(width), height: Int(height), channels: Int(channels),
                        pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }

    /// Encodes `image` as a baseline JPEG of `quality` (1–100): for tests and fuzz seeds,
    /// which need JPEG files that a real encoder wrote.
    public static func encode(_ image: PNGImage, quality: Int = 90) throws -> [UInt8] {
        var jpeg: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: Int(GANTRY_JPEG_MESSAGE_LENGTH))
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            gantry_jpeg_encode(pixels.baseAddress, Int32(image.width), Int32(image.height), Int32(image.channels),
                               Int32(quality), &jpeg, &size, &message)
        }
        guard status == 0, let jpeg else { throw ImageError(path: "(in memory)", message: String(cString: message)) }
        defer { free(jpeg) }
        return Array(UnsafeBufferPointer(start: jpeg, count: Int(size)))
    }
}

/// Limits on a decoded image, checked before its pixels are allocated.
public enum ImageLimits {
    /// 100 megapixels (300 MB as RGB): far beyond any training image, and a file whose
    /// header claims more is a decompression bomb or garbage.
    public static let maximumPixels = 100_000_000
}

/// An image file that cannot be read: the file and the decoder's reason.
public struct ImageError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let message: String
    public var description: String { "Image '\(path)' cannot be decoded: \(message)." }
}
