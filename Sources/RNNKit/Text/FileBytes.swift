import Foundation

/// The library's one way to read a whole file (data files, language-model texts, safetensors),
/// so every reader refuses the same things with the same words: no name, no such file, a
/// directory, a device that never ends (`/dev/zero`), no permission, more than a size limit.
enum FileBytes {
    /// Why a file could not be read. `detail` completes a sentence that starts with the path.
    struct Failure: Error, Sendable, Equatable {
        enum Kind: Sendable, Equatable {
            case noName, notFound, directory, device, notRegular, notReadable, tooLarge, readFailed
        }
        var kind: Kind
        var detail: String
    }

    /// The contents of the file at `path`.
    ///
    /// - Parameters:
    ///   - kindOfFile: what the caller expects, for messages: "a data file (.csv, .tsv or .jsonl)".
    ///   - maxBytes: a larger file is refused before it is read (nil: no limit). Pipes are
    ///     read up to the limit, so an endless one is refused too.
    static func read(_ path: String, kindOfFile: String, maxBytes: Int? = nil) throws(Failure) -> [UInt8] {
        let attributes = try check(path, kindOfFile: kindOfFile)
        if let maxBytes, let size = (attributes?[.size] as? NSNumber)?.intValue, size > maxBytes {
            throw tooLarge(size, maxBytes)
        }
        let regular = (attributes?[.type] as? FileAttributeType) == .typeRegular
        if !regular && maxBytes == nil {
            // A pipe's size is unknown until its end, which may never come (`cat /dev/zero |`).
            let handle = try open(path)
            defer { try? handle.close() }
            let data = try read(handle, count: maxPipeBytes + 1)
            guard data.count <= maxPipeBytes else {
                throw Failure(kind: .tooLarge, detail: "is a pipe or standard input that gave more than \(maxPipeBytes) bytes, the most read from one: save it to a file and give that instead.")
            }
            return data
        }
        let handle = try open(path)
        defer { try? handle.close() }
        let data: Data
        do {
            if let maxBytes {
                data = try handle.read(upToCount: maxBytes == Int.max ? maxBytes : maxBytes + 1) ?? Data()
            } else {
                data = try handle.readToEnd() ?? Data()
            }
        } catch {
            throw Failure(kind: .readFailed, detail: "cannot be read: \(error.localizedDescription)")
        }
        if let maxBytes, data.count > maxBytes { throw tooLarge(nil, maxBytes) }
        return [UInt8](data)
    }

    /// The most read from a pipe, FIFO or standard input when no `maxBytes` is given (256 MiB):
    /// regular files have a size to check, pipes do not.
    static let maxPipeBytes = 1 << 28

    /// An open regular file and its size, for formats that read a header first and check it
    /// against the size before reading the rest (safetensors). Pipes, FIFOs and standard input
    /// are refused: their size is unknown until they have been read whole.
    static func openRegular(_ path: String, kindOfFile: String) throws(Failure) -> (handle: FileHandle, size: Int) {
        let attributes = try check(path, kindOfFile: kindOfFile)
        guard let type = attributes?[.type] as? FileAttributeType, type == .typeRegular,
              let size = (attributes?[.size] as? NSNumber)?.intValue else {
            throw Failure(kind: .notRegular, detail: "is a pipe, FIFO or standard input, not \(kindOfFile): it must be a regular file. Save it to a file first.")
        }
        return (try open(path), size)
    }

    /// Up to `count` bytes from the handle's current offset.
    static func read(_ handle: FileHandle, count: Int) throws(Failure) -> [UInt8] {
        do { return [UInt8](try handle.read(upToCount: count) ?? Data()) } catch {
            throw Failure(kind: .readFailed, detail: "cannot be read: \(error.localizedDescription)")
        }
    }

    /// The checks every read makes; the attributes of what `path` resolves to (nil for a pipe
    /// such as /dev/stdin, whose link does not resolve to a path).
    private static func check(_ path: String, kindOfFile: String) throws(Failure) -> [FileAttributeKey: Any]? {
        guard !path.isEmpty else { throw Failure(kind: .noName, detail: "no file name given.") }
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: path, isDirectory: &isDirectory) else {
            let relative = path.hasPrefix("/") ? "" : " (relative to \(files.currentDirectoryPath))"
            throw Failure(kind: .notFound, detail: "no such file\(relative). Check the path.")
        }
        if isDirectory.boolValue {
            throw Failure(kind: .directory, detail: "is a directory, not \(kindOfFile).")
        }
        // Devices such as /dev/zero never end; pipes do, so they are allowed.
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let attributes = try? files.attributesOfItem(atPath: resolved)
        if let type = attributes?[.type] as? FileAttributeType,
           type == .typeCharacterSpecial || type == .typeBlockSpecial || type == .typeSocket {
            throw Failure(kind: .device, detail: "is a device or socket, not \(kindOfFile).")
        }
        return attributes
    }

    private static func open(_ path: String) throws(Failure) -> FileHandle {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw Failure(kind: .notReadable, detail: "cannot be opened for reading. Check its permissions.")
        }
        return handle
    }

    private static func tooLarge(_ size: Int?, _ limit: Int) -> Failure {
        let actual = size.map { "is \($0) bytes" } ?? "is larger than"
        return Failure(kind: .tooLarge, detail: "\(actual)\(size == nil ? "" : ", more than") the limit of \(limit) bytes.")
    }
}
