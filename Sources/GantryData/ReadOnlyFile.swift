// Opening a dataset file safely: only a regular file, and without a blocking open.
import Glibc

enum ReadOnlyFile {
    /// `stat` of `path` (following links): a missing path is `missingFile`, any other failure
    /// `unreadable`.
    static func status(_ path: String) throws -> stat {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw DatasetError.missingFile(path: path) }
            throw DatasetError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        return info
    }

    /// Opens `path` for reading. Non-blocking, so that a FIFO without a writer cannot hang
    /// the open; fstat on the descriptor then refuses anything but a regular file before a
    /// byte is read. The caller closes the descriptor.
    static func open(_ path: String) throws -> (descriptor: Int32, size: Int) {
        let fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw DatasetError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw DatasetError.unreadable(path: path, reason: "not a regular file")
        }
        return (fd, Int(info.st_size))
    }

    /// The whole of `path`, which must still be `size` bytes long (its size was checked
    /// before reading, against what it must hold and the memory it may take).
    static func read(_ path: String, size: Int) throws -> [UInt8] {
        let (fd, now) = try open(path)
        defer { close(fd) }
        guard now == size else {
            throw DatasetError.unreadable(path: path, reason: "its size changed from \(size) to \(now) bytes while it was read")
        }
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            while initialized < size {
                let got = Glibc.read(fd, buffer.baseAddress! + initialized, size - initialized)
                if got < 0 && errno == EINTR { continue }
                if got <= 0 { failure = got < 0 ? errno : 0; break }
                initialized += got
            }
        }
        guard bytes.count == size else {
            let reason = failure != 0 ? String(cString: strerror(failure)) : "it ended after \(bytes.count) of \(size) bytes"
            throw DatasetError.unreadable(path: path, reason: reason)
        }
        return bytes
    }
}
