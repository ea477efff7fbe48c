import Glibc

/// Writes files so that a reader only ever sees the old complete file or the new complete
/// one: the bytes go to a temporary file in the same directory, which is flushed to disk
/// (fsync) and renamed over the final name; the directory is fsynced so the rename survives
/// a crash. On any failure the temporary file is removed and the final name is untouched.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write([bytes], to: path)
    }

    /// Writes `parts` one after the other as the file (a header and a large body, without
    /// joining them in memory). With `replacing` false, an existing `path` is never replaced:
    /// the new file is linked into place, which fails if the name exists, as one step.
    public static func write(_ parts: [[UInt8]], to path: String, replacing: Bool = true) throws {
        let directory = parentDirectory(of: path)
        let temporary = "\(directory)/.\(baseName(of: path)).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw systemError("cannot create \(temporary)") }
        var failure: GantryError?
        if !parts.allSatisfy({ writeAll(fd, $0) }) {
            failure = systemError("cannot write \(path)")
        } else if fsync(fd) != 0 {
            failure = systemError("cannot flush \(path) to disk")
        }
        if close(fd) != 0 && failure == nil {
            unlink(temporary)
            throw systemError("cannot close \(path)")
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
        if replacing {
            guard rename(temporary, path) == 0 else {
                let error = systemError("cannot rename \(temporary) to \(path)")
                unlink(temporary)
                throw error
            }
        } else {
            let linked = link(temporary, path) == 0
            let error = errno == EEXIST ? GantryError("\(path) already exists") : systemError("cannot link \(temporary) to \(path)")
            unlink(temporary)
            guard linked else { throw error }
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// The bytes of the regular file `path`; a FIFO, directory or device is refused unread.
    public static func read(_ path: String) throws -> [UInt8] {
        try RegularFile(path: path).readAll()
    }
}
