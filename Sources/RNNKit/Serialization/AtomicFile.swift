#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing a file so that readers see the old version or the new one, never a mix: the bytes go
/// to a temporary file beside the target (`.NAME.tmp-PID-RANDOM`), flushed, then renamed over it.
///
/// Before writing, the target passes `OutputFile.check`: a symbolic link is followed (the file it
/// points to is replaced, the link kept), and a device, FIFO, socket, folder or read-only file is
/// refused rather than replaced. The temporary file is removed if the write fails, or if SIGINT,
/// SIGTERM or SIGHUP ends the process (`TemporaryFiles`); one left by a process that died
/// otherwise (`kill -9`, a power cut) is removed by the next write to the same target.
package enum AtomicFile {
    package static func write(_ bytes: [UInt8], to path: String) throws {
        try OutputFile.check(path)
        let target = try OutputFile.resolve(path)
        let directory = OutputFile.folder(of: target)
        let base = OutputFile.name(of: target)
        removeStaleTemporaries(of: base, in: directory)
        let temporary = "\(directory)/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        func fail(_ what: String) -> SafetensorsError {
            SafetensorsError(kind: .unwritable, path: path, detail: "cannot write: \(what) (\(String(cString: strerror(errno)))).")
        }
        // Listed before it exists, so that no signal finds it there unlisted.
        let slot = TemporaryFiles.register(temporary)
        defer { TemporaryFiles.release(slot) }
        // The replaced file's permissions carry over to the new one.
        var old = stat()
        let mode = stat(target, &old) == 0 ? old.st_mode & 0o777 : 0o644
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else { throw fail("cannot create a file in \(directory)") }
        guard writeAll(bytes, to: fd), fsync(fd) == 0 else {
            let e = fail("write failed")
            close(fd); unlink(temporary)
            throw e
        }
        if mode != 0o644 { fchmod(fd, mode) }  // open's mode went through the umask
        close(fd)
        guard rename(temporary, target) == 0 else {
            let e = fail("cannot replace the file")
            unlink(temporary)
            throw e
        }
    }

    /// Writes every byte to `fd`, going on after short writes and EINTR; false on an error
    /// (errno says which).
    package static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
        var written = 0
        return bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Glibc_write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 { if errno == EINTR { continue }; return false }
                written += n
            }
            return true
        }
    }

    /// Removes `.BASE.tmp-PID-…` files in `directory` whose process no longer exists.
    private static func removeStaleTemporaries(of base: String, in directory: String) {
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        let prefix = ".\(base).tmp-"
        let me = getpid()
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            guard name.hasPrefix(prefix) else { continue }
            let parts = name.dropFirst(prefix.count).split(separator: "-")
            guard parts.count == 2, let pid = pid_t(parts[0]), pid > 0, UInt32(parts[1]) != nil, pid != me else { continue }
            // kill(pid, 0) fails with ESRCH only when there is no such process (EPERM: alive, not ours).
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(directory + "/" + name) }
        }
    }
}

@inline(__always)
private func Glibc_write(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}
