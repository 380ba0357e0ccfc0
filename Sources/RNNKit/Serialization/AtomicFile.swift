#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing a file so that readers see the old version or the new one, never a mix.
package enum AtomicFile {
    package static func write(_ bytes: [UInt8], to path: String) throws {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let temporary = "\(directory.isEmpty ? "/" : directory)/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        func fail(_ what: String) -> SafetensorsError {
            SafetensorsError(kind: .unwritable, path: path, detail: "cannot write: \(what) (\(String(cString: strerror(errno)))).")
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw fail("cannot create a file in \(directory)") }
        var written = 0
        let ok: Bool = bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Glibc_write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 { if errno == EINTR { continue }; return false }
                written += n
            }
            return true
        }
        guard ok, fsync(fd) == 0 else {
            let e = fail("write failed")
            close(fd); unlink(temporary)
            throw e
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let e = fail("cannot replace the file")
            unlink(temporary)
            throw e
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
