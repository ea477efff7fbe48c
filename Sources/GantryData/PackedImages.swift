// A `.gpack` file (PackLayout, docs/pack-format.md) as a dataset, memory-mapped read-only
// and shared: the samples are used in place, so every rank on a machine reads the same pages
// of the page cache and none holds a private copy.
import Glibc

public struct PackedImages: Dataset {
    public let path: String
    public let name: String
    public let layout: PackLayout
    private let file: MappedFile

    public var count: Int { layout.count }
    public var shape: SampleShape { layout.shape }
    public var classNames: [String] { layout.classNames }
    /// The pages belong to the page cache, shared by every process mapping the file, and
    /// the kernel may drop them under pressure: nothing private.
    public var residentBytes: Int { 0 }

    /// Maps `path` and checks it whole (every CRC) before any sample is used.
    public init(path: String) throws {
        file = try MappedFile(path: path)
        layout = try PackLayout.parse(file.bytes, source: path)
        self.path = path
        name = "pack:" + path
    }

    public func write(sample index: Int, into destination: UnsafeMutablePointer<Float>, channelStride: Int) {
        precondition(index >= 0 && index < count, "pack sample index \(index) out of 0..<\(count)")
        let sample = file.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + layout.pixelsOffset + index * shape.count
        writeScaled(sample, shape: shape, into: destination, channelStride: channelStride)
    }

    public func label(ofSample index: Int) -> Int? {
        classNames.isEmpty ? nil : layout.label(ofSample: index, in: file.bytes)
    }
}

/// A regular file mapped read-only and shared, unmapped when the last copy of the dataset
/// goes. The file must not be changed in place while mapped (a shrunk file faults on access);
/// `gantry prepare` replaces a pack by renaming a new file over it, which leaves an open
/// mapping on the old one intact.
final class MappedFile {
    let bytes: UnsafeRawBufferPointer

    init(path: String) throws {
        // Non-blocking, so that a FIFO without a writer cannot hang the open; fstat then
        // refuses anything but a regular file.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw DatasetError.missingFile(path: path) }
            throw DatasetError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw DatasetError.unreadable(path: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), address != MAP_FAILED else {
            throw DatasetError.unreadable(path: path, reason: "cannot map it: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
