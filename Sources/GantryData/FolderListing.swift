// Which files of a folder tree are the images of a `folder:` dataset, in which order, and of
// which class. The order is the byte order of the names at every level, so that every rank
// and every run numbers the samples alike.
import Glibc

struct FolderListing {
    struct File {
        let path: String
        let label: Int?
    }

    private(set) var files: [File] = []
    /// The class sub-folders' names, sorted; empty for a flat folder.
    private(set) var classNames: [String] = []
    /// Files skipped because their extension is not an image's, or their name is hidden.
    private(set) var skipped = 0

    /// Folders nested deeper than this are refused: a symbolic link pointing up the tree
    /// would otherwise be walked forever.
    static let maximumDepth = 32

    init(directory: String, extensions: [String]) throws {
        let root = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var info = stat()
        guard stat(root, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw DatasetError.missingFile(path: directory) }
            throw DatasetError.unreadable(path: directory, reason: String(cString: strerror(errno)))
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw DatasetError.unusableFolder(path: directory, reason: "not a directory (folder: takes a folder of PNG and JPEG images)")
        }
        let entries = try Self.entries(of: root)
        let folders = entries.filter(\.isDirectory)
        if folders.isEmpty {
            try add(entries, label: nil, extensions: extensions)
            guard !files.isEmpty else {
                throw DatasetError.unusableFolder(path: directory, reason: "it holds no image (files ending in .\(extensions.joined(separator: ", .")))")
            }
            return
        }
        // Sub-folders are classes: an image beside them would have none.
        for entry in entries where !entry.isDirectory && extensions.contains(fileExtension(entry.name)) {
            throw DatasetError.unusableFolder(path: directory, reason: "image '\(entry.name)' lies beside the class folders "
                + "(\(folders.prefix(3).map(\.name).joined(separator: ", "))\(folders.count > 3 ? ", …" : "")); move it into one of them")
        }
        skipped += entries.count - folders.count
        for (label, folder) in folders.enumerated() {
            let before = files.count
            try walk(folder.path, label: label, depth: 1, extensions: extensions)
            guard files.count > before else {
                throw DatasetError.unusableFolder(path: folder.path, reason: "this class folder holds no image")
            }
        }
        classNames = folders.map(\.name)
    }

    /// Adds the images among `entries` (files, not folders) and counts the rest as skipped.
    private mutating func add(_ entries: [Entry], label: Int?, extensions: [String]) throws {
        for entry in entries where !entry.isDirectory {
            guard extensions.contains(fileExtension(entry.name)) else {
                skipped += 1
                continue
            }
            guard entry.isRegularFile else { throw DatasetError.badImage(path: entry.path, reason: "not a regular file") }
            files.append(File(path: entry.path, label: label))
        }
    }

    /// Every image under `directory`, at any depth, in sorted order (a folder's files, then
    /// its sub-folders).
    private mutating func walk(_ directory: String, label: Int, depth: Int, extensions: [String]) throws {
        guard depth <= Self.maximumDepth else {
            throw DatasetError.unusableFolder(path: directory, reason: "folders nested deeper than \(Self.maximumDepth) levels (a symbolic link looping back?)")
        }
        let entries = try Self.entries(of: directory)
        try add(entries, label: label, extensions: extensions)
        for folder in entries where folder.isDirectory {
            try walk(folder.path, label: label, depth: depth + 1, extensions: extensions)
        }
    }

    struct Entry {
        let name: String
        let path: String
        let isDirectory: Bool
        let isRegularFile: Bool
    }

    /// A directory's entries (symbolic links followed), hidden ones (".name") left out,
    /// sorted by the bytes of their names.
    private static func entries(of directory: String) throws -> [Entry] {
        guard let stream = opendir(directory) else {
            throw DatasetError.unreadable(path: directory, reason: String(cString: strerror(errno)))
        }
        defer { closedir(stream) }
        var entries: [Entry] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard !name.hasPrefix(".") else { continue }
            let path = directory + "/" + name
            var info = stat()
            guard stat(path, &info) == 0 else {
                throw DatasetError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            let kind = info.st_mode & S_IFMT
            entries.append(Entry(name: name, path: path, isDirectory: kind == S_IFDIR, isRegularFile: kind == S_IFREG))
        }
        return entries.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }
}

/// The bytes of the regular file `path`; a FIFO, directory or device is refused unread, and
/// so is a file larger than `maximumBytes`.
func readRegularFile(_ path: String, maximumBytes: Int = 1 << 30) throws -> [UInt8] {
    // Non-blocking, so that a FIFO without a writer cannot hang the open.
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { throw DatasetError.unreadable(path: path, reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
        throw DatasetError.unreadable(path: path, reason: "not a regular file")
    }
    let size = Int(info.st_size)
    guard size <= maximumBytes else {
        throw DatasetError.unreadable(path: path, reason: "\(size) bytes, more than the \(maximumBytes) a file may have here")
    }
    var bytes = [UInt8](repeating: 0, count: size)
    var done = 0
    while done < size {
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, size - done) }
        if n < 0 && errno == EINTR { continue }
        guard n >= 0 else { throw DatasetError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        guard n > 0 else { break }  // the file shrank while being read
        done += n
    }
    return Array(bytes.prefix(done))
}
