#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a path cannot take a new file: which path, and what is wrong with it.
public struct OutputFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The path is the same file as `input` (the same path, a hard link or a symbolic link to it).
        case sameFileAs(input: String)
        /// Something other than a regular file is there: a directory, a device, a FIFO or a socket.
        case notRegularFile(what: String)
        /// A regular file that is read-only (no write permission for this user).
        case readOnly
        /// The folder it would go in does not exist (or is not a folder).
        case noFolder(String)
        /// The folder it would go in cannot be written to.
        case folderNotWritable(String)
        /// Symbolic links that never end in a file (a loop, or too many of them).
        case linkLoop
    }
    public var kind: Kind
    /// The path as given.
    public var path: String

    public init(kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    /// What is wrong, without the path.
    public var detail: String {
        switch kind {
        case .sameFileAs(let input):
            return input == path ? "it is also an input; writing there would destroy it"
                : "it is the same file as the input \(input); writing there would destroy it"
        case .notRegularFile(let what):
            return "it is \(what), not a regular file; only regular files are written"
        case .readOnly: return "the file is read-only; make it writable (chmod u+w) to replace it"
        case .noFolder(let folder): return "the folder \(folder) does not exist"
        case .folderNotWritable(let folder): return "cannot create files in the folder \(folder) (permissions?)"
        case .linkLoop: return "its symbolic links never end in a file (a loop?)"
        }
    }

    public var description: String { "\(path): \(detail)." }
}

/// The checks every file RNNKit writes passes before anything is written, and which callers can
/// run early, before long work, to fail at once rather than after it:
///
/// - a symbolic link is followed: the file it points to is replaced and the link kept (so a link
///   such as `latest.safetensors → runs/7/model.safetensors` keeps working and shows the new
///   model, as with a shell's `>`);
/// - what is there (after the links) must be a regular, writable file, or nothing;
/// - its folder must exist and be writable, since the file is written beside it and renamed over it;
/// - it must not be any of the inputs, compared by file identity (device and inode) rather than by
///   name, so that `./d.tsv`, a hard link or a symbolic link to an input are caught too.
public enum OutputFile {
    /// Throws an `OutputFileError` when `path` cannot safely take a new file, or is one of `inputs`
    /// (paths that do not exist are not compared).
    public static func check(_ path: String, notAnyOf inputs: [String] = []) throws {
        let target = try resolve(path)
        var info = stat()
        if lstat(target, &info) == 0 {
            let type = info.st_mode & S_IFMT
            guard type == S_IFREG else { throw OutputFileError(kind: .notRegularFile(what: describe(type)), path: path) }
            // Root may write any file; a file without write bits is still meant to be kept.
            guard access(target, W_OK) == 0, info.st_mode & 0o222 != 0 else {
                throw OutputFileError(kind: .readOnly, path: path)
            }
        }
        let folder = folder(of: target)
        var folderInfo = stat()
        guard stat(folder, &folderInfo) == 0, folderInfo.st_mode & S_IFMT == S_IFDIR else {
            throw OutputFileError(kind: .noFolder(folder), path: path)
        }
        guard access(folder, W_OK | X_OK) == 0 else { throw OutputFileError(kind: .folderNotWritable(folder), path: path) }
        for input in inputs where sameFile(target, input) {
            throw OutputFileError(kind: .sameFileAs(input: input), path: path)
        }
    }

    /// Whether `a` and `b` name the same file: the same device and inode, or, for a file not there
    /// yet, the same name in the same folder (so two outputs that do not exist yet compare too).
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        guard let x = identity(a), let y = identity(b) else { return false }
        return x == y
    }

    /// `path` with symbolic links in its last component followed to the file they point to (which
    /// need not exist).
    package static func resolve(_ path: String) throws -> String {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n > 0 else { return current }
            let destination = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = destination.hasPrefix("/") ? destination : folder(of: current) + "/" + destination
        }
        throw OutputFileError(kind: .linkLoop, path: path)
    }

    /// The folder a path's last component is in ("." for a bare name).
    package static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }

    /// The last component of a path.
    package static func name(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }

    private enum Identity: Equatable {
        case file(dev_t, ino_t)
        case entry(dev_t, ino_t, String)
    }

    private static func identity(_ path: String) -> Identity? {
        var info = stat()
        if stat(path, &info) == 0 { return .file(info.st_dev, info.st_ino) }
        guard errno == ENOENT, let target = try? resolve(path) else { return nil }
        guard stat(folder(of: target), &info) == 0 else { return nil }
        return .entry(info.st_dev, info.st_ino, name(of: target))
    }

    private static func describe(_ type: mode_t) -> String {
        switch type {
        case S_IFDIR: return "a folder"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFSOCK: return "a socket"
        default: return "a special file"
        }
    }
}
