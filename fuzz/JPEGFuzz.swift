// libFuzzer target for the JPEG reader (GantryData's JPEGImage.decode over libjpeg-turbo,
// through the C target CJPEGCodec, which catches libjpeg's longjmp errors).
//
// Any crash, trap, hang, exit or sanitizer report is a bug: every input must come back as an
// image or as an ImageError. An accepted image must have consistent fields, and fit into gray
// and colour samples (the folder: dataset's path).
//
// Tool mode, used by fuzz/run.sh to make seeds (runs instead of fuzzing):
//   GANTRY_FUZZ_WRITE_SEEDS=DIR jpeg-fuzzer
// writes small JPEGs encoded by libjpeg: gray and colour, several sizes and qualities.
import GantryData
import Glibc

@_cdecl("LLVMFuzzerTestOneInput")
public func jpegFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    do {
        // A small pixel limit: a header may claim 65535×65535, which is refused, not allocated.
        let image = try JPEGImage.decode(bytes, source: "input", maximumPixels: 1 << 22)
        precondition(image.width > 0 && image.height > 0 && (image.channels == 1 || image.channels == 3)
                     && image.pixels.count == image.width * image.height * image.channels,
                     "accepted a JPEG of \(image.width)x\(image.height)x\(image.channels) with \(image.pixels.count) bytes")
        for channels in [1, 3] {
            let shape = SampleShape(channels: channels, height: 8, width: 8)
            precondition(image.fitted(to: shape).count == shape.count, "fitted to \(shape): wrong size")
        }
        if fuzzVerbose { print("accepted (\(bytes.count) bytes): \(image.width)x\(image.height)x\(image.channels)") }
    } catch let error as ImageError {
        precondition(!error.description.isEmpty && !error.message.isEmpty, "an empty message")
        if fuzzVerbose { print("refused (\(bytes.count) bytes): \(error)") }
    } catch {
        fatalError("JPEGImage.decode threw something other than an ImageError: \(error)")
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func jpegFuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    if let directory = environment("GANTRY_FUZZ_WRITE_SEEDS") {
        let images: [(String, Int, Int, Int, Int)] = [("gray-8x8-q90", 8, 8, 1, 90), ("rgb-16x9-q50", 16, 9, 3, 50),
                                                      ("rgb-1x1-q100", 1, 1, 3, 100), ("gray-33x17-q20", 33, 17, 1, 20)]
        for (name, width, height, channels, quality) in images {
            let pixels = (0..<width * height * channels).map { UInt8(($0 * 7) % 256) }
            do {
                let jpeg = try JPEGImage.encode(PNGImage(width: width, height: height, channels: channels, pixels: pixels), quality: quality)
                _ = try JPEGImage.decode(jpeg, source: name)  // every seed must be accepted
                writeFile("\(directory)/\(name).jpg", jpeg)
            } catch {
                fatalError("seed \(name): \(error)")
            }
        }
        print("jpeg-fuzzer: wrote \(images.count) seeds to \(directory)")
        fflush(stdout)
        _exit(0)
    }
    return 0
}
