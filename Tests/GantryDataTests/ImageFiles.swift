import Foundation
import GantryData
import XCTest

/// Image files written for a test into a fresh temporary directory: PNGs by libpng, JPEGs by
/// libjpeg (GantryData's encoder), so the readers see what real tools write.
struct ImageFiles {
    let root: String

    init(_ label: String) throws {
        root = NSTemporaryDirectory() + "gantry-\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    /// `root/relative`, its folders created.
    func path(_ relative: String) throws -> String {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        return path
    }

    func png(_ relative: String, _ image: PNGImage) throws { try image.write(to: try path(relative)) }

    func jpeg(_ relative: String, _ image: PNGImage, quality: Int = 95) throws {
        try bytes(relative, try JPEGImage.encode(image, quality: quality))
    }

    func bytes(_ relative: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: try path(relative)))
    }

    func read(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: root + "/" + relative)))
    }
}

/// A smooth test picture (JPEG keeps it nearly exact), different for each `seed`.
func gradient(width: Int, height: Int, channels: Int, seed: Int = 0) -> PNGImage {
    var pixels: [UInt8] = []
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<channels { pixels.append(UInt8(min(255, x * 100 / width + y * 60 / height + c * 40 + seed * 9))) }
        }
    }
    return PNGImage(width: width, height: height, channels: channels, pixels: pixels)
}

extension Dataset {
    /// Every sample as one channel-major batch.
    func allSamples() -> [Float] {
        var batch = [Float](repeating: .nan, count: count * shape.count)
        batch.withUnsafeMutableBufferPointer { writeBatch(indices: Array(0..<count), into: $0.baseAddress!) }
        return batch
    }
}
