import Glibc

/// A regular file opened for reading. Anything else (a FIFO, a directory, a device) is refused
/// before a byte is read: the open is non-blocking, so a FIFO without a writer cannot hang
/// the reader, and fstat on the open descriptor tells what it really is.
final class RegularFile {
    let path: String
    /// The size when opened; reads never go past it.
    let size: Int
    private let fd: Int32

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw systemError("cannot open \(path)") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = systemError("cannot stat \(path)")
            close(fd)
            throw error
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw GantryError("cannot read \(path): it is \(Self.kind(of: info.st_mode)), not a regular file")
        }
        self.path = path
        self.fd = fd
        size = Int(info.st_size)
    }

    deinit { close(fd) }

    /// `count` bytes from `offset`, fewer only where the file (as sized when opened) ends.
    func bytes(at offset: Int, count: Int) throws -> [UInt8] {
        let wanted = max(0, min(count, size - offset))
        var bytes = [UInt8](repeating: 0, count: wanted)
        var done = 0
        try bytes.withUnsafeMutableBytes { raw in
            while done < wanted {
                let n = pread(fd, raw.baseAddress! + done, wanted - done, off_t(offset + done))
                if n < 0 && errno == EINTR { continue }
                if n < 0 { throw systemError("cannot read \(path)") }
                guard n > 0 else { throw GantryError("cannot read \(path): it shrank to \(offset + done) bytes while being read") }
                done += n
            }
        }
        return bytes
    }

    /// The whole file.
    func readAll() throws -> [UInt8] { try bytes(at: 0, count: size) }

    static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFDIR: return "a directory"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "a special file"
        }
    }
}
