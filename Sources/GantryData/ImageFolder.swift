// A folder tree of PNG and JPEG images as a dataset (`folder:DIR`), laid out like
// torchvision's ImageFolder: images directly in DIR are one unlabelled set; sub-folders of DIR
// are classes, labelled in the sorted order of their names, each holding images at any depth.
// Every image is decoded once, at start-up, and fitted to the model's sample shape.
import Glibc

public struct ImageFolder: Dataset {
    /// The extensions read (compared in lower case); other files, such as a README or
    /// .DS_Store, are skipped, and counted in the progress line.
    public static let imageExtensions = ["png", "jpg", "jpeg"]

    public let directory: String
    public let name: String
    public let count: Int
    public let shape: SampleShape
    public let classNames: [String]
    /// The class of each sample; empty when the folder has no class sub-folders.
    public let labels: [Int]
    /// count × shape.count bytes: each sample's channel planes, row-major.
    public let pixels: [UInt8]
    public var residentBytes: Int { pixels.count }

    /// Reads every image under `directory`, fitted to `shape` (1 or 3 channels), whose pixels
    /// may take at most `maximumBytes`. `progress` receives a line now and then while the
    /// images are decoded.
    public init(directory: String, shape: SampleShape, maximumBytes: Int = .max,
                progress: (String) -> Void = { _ in }) throws {
        guard shape.channels == 1 || shape.channels == 3, shape.height > 0, shape.width > 0 else {
            throw DatasetError.unusableFolder(path: directory, reason: "images fit only samples of 1 or 3 channels, not \(shape)")
        }
        let listing = try FolderListing(directory: directory, extensions: Self.imageExtensions)
        let (payload, overflow) = listing.files.count.multipliedReportingOverflow(by: shape.count)
        guard !overflow, payload <= maximumBytes else {
            throw DatasetError.unusableFolder(path: directory, reason: "\(listing.files.count) images of \(shape) need \(payload) bytes, "
                + "more than the \(maximumBytes) bytes of memory a rank may use here (GANTRY_MEMORY_LIMIT, docs/reliability.md); "
                + "`gantry prepare` packs them into a file that ranks share instead (docs/data.md)")
        }
        self.directory = directory
        name = "folder:" + directory
        count = listing.files.count
        self.shape = shape
        classNames = listing.classNames
        labels = listing.files.compactMap(\.label)

        let skipped = listing.skipped == 0 ? "" : " (\(listing.skipped) files that are not images skipped)"
        progress("folder \(directory): decoding \(count) images to \(shape)\(skipped)")
        let start = monotonicSeconds()
        var lastReport = start
        var pixels = [UInt8]()
        pixels.reserveCapacity(payload)
        for (done, file) in listing.files.enumerated() {
            pixels.append(contentsOf: try Self.decode(file.path).fitted(to: shape))
            let now = monotonicSeconds()
            if now - lastReport >= 10 {
                progress("folder \(directory): \(done + 1)/\(count) images decoded")
                lastReport = now
            }
        }
        self.pixels = pixels
        let tenths = ((monotonicSeconds() - start) * 10).rounded() / 10
        progress("folder \(directory): \(count) images decoded in \(tenths) s")
    }

    public func write(sample index: Int, into destination: UnsafeMutablePointer<Float>, channelStride: Int) {
        precondition(index >= 0 && index < count, "image index \(index) out of 0..<\(count)")
        pixels.withUnsafeBufferPointer { bytes in
            writeScaled(bytes.baseAddress! + index * shape.count, shape: shape, into: destination, channelStride: channelStride)
        }
    }

    public func label(ofSample index: Int) -> Int? { labels.isEmpty ? nil : labels[index] }

    /// Decodes one file by its extension; any failure is a DatasetError naming the file.
    static func decode(_ path: String) throws -> PNGImage {
        do {
            if fileExtension(path) == "png" { return try PNGImage.read(from: path) }
            return try JPEGImage.decode(try readRegularFile(path), source: path)
        } catch let error as PNGError {
            throw DatasetError.badImage(path: path, reason: error.message)
        } catch let error as ImageError {
            throw DatasetError.badImage(path: path, reason: error.message)
        }
    }
}

/// Writes one sample stored as bytes (channel planes, row-major) as floats scaled to [-1, 1]
/// into a batch: channel c's plane starts at `destination + c * channelStride`.
func writeScaled(_ source: UnsafePointer<UInt8>, shape: SampleShape, into destination: UnsafeMutablePointer<Float>, channelStride: Int) {
    let plane = shape.spatial
    for c in 0..<shape.channels {
        let from = source + c * plane, to = destination + c * channelStride
        for i in 0..<plane {
            to[i] = Float(from[i]) * (2 / 255) - 1
        }
    }
}

/// The lower-cased extension of a path's last component ("" when it has none).
func fileExtension(_ path: String) -> String {
    let name = path.split(separator: "/").last ?? ""
    guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
    return name[name.index(after: dot)...].lowercased()
}

/// Seconds on the monotonic clock, for progress lines.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
