import Glibc

// The file-system calls Gantry makes, each wrapped once with an error that names the path.

/// Writes all of `bytes` to `fd`, retrying short writes and EINTR. False on an error
/// (errno tells which) or when the file takes no more bytes.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { raw in
        var written = 0
        while written < raw.count {
            let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            written += n
        }
        return true
    }
}

/// Appends `bytes` to `fd` (opened with O_APPEND) as one unit: a write that fails (a full
/// disk) is rolled back to where the file ended, so that a reader never sees a part of it.
/// Throws naming `path`.
func appendWhole(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
    let end = lseek(fd, 0, SEEK_END)
    guard writeAll(fd, bytes) else {
        let error = systemError("cannot append to \(path)")
        ftruncate(fd, end)
        throw error
    }
}

/// A GantryError from the current errno: "cannot write x: No space left on device".
func systemError(_ what: String) -> GantryError {
    GantryError("\(what): \(String(cString: strerror(errno)))")
}

/// Creates a directory and its parents (like mkdir -p); throws naming the path on failure.
public func makeDirectories(_ path: String) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        current += "/\(component)"
        if mkdir(current, 0o755) != 0 && errno != EEXIST {
            throw systemError("cannot create directory \(current)")
        }
    }
    guard access(path, W_OK) == 0 else { throw systemError("cannot write to directory \(path)") }
}

public func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

public func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}

/// Names in a directory (without "." and ".."), sorted.
func directoryEntries(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: entry.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// The directory part of `path` ("." for a bare name).
func parentDirectory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// The last component of `path`.
func baseName(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
}
