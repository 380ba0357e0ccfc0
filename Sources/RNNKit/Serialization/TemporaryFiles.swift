#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The temporary files of atomic writes in progress, removed if SIGINT, SIGTERM or SIGHUP ends the
/// process mid-write. The signal is then raised again with its default action, so the process
/// still ends as that signal says (exit status included).
///
/// The handler may only make async-signal-safe calls, so it reads a fixed table of C strings
/// allocated once and never freed, and calls nothing but unlink, signal and raise. A slot is
/// registered before its file is created and released after the rename, so there is no moment
/// when a temporary file exists unlisted. Signals whose disposition is not the default (ignored
/// by `nohup`, or handled by the program) are left alone.
package enum TemporaryFiles {
    private static let slotCount = 64
    private static let slotSize = Int(PATH_MAX) + 1

    private final class Table: @unchecked Sendable {
        // slotCount paths of slotSize bytes; a slot is in use when its first byte is not 0.
        let paths: UnsafeMutablePointer<CChar>
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        var next = 0

        init() {
            paths = .allocate(capacity: TemporaryFiles.slotCount * TemporaryFiles.slotSize)
            paths.initialize(repeating: 0, count: TemporaryFiles.slotCount * TemporaryFiles.slotSize)
            pthread_mutex_init(lock, nil)
        }
    }

    // Made (and the handlers installed) before the first registration, so the handler never runs
    // a lazy initializer.
    private static let table: Table = {
        let table = Table()
        tablePaths = table.paths
        for sig in [SIGINT, SIGTERM, SIGHUP] { install(sig) }
        return table
    }()

    // The handler reads this plain global rather than `table` (whose lazy initialization is not
    // async-signal-safe).
    nonisolated(unsafe) private static var tablePaths: UnsafeMutablePointer<CChar>?

    /// Lists `path` for removal on a signal; returns the slot to pass to `release`, or nil when the
    /// table is full or the path too long (the write goes on, unprotected, as before).
    package static func register(_ path: String) -> Int? {
        let table = self.table
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < slotSize else { return nil }
        pthread_mutex_lock(table.lock)
        defer { pthread_mutex_unlock(table.lock) }
        for k in 0..<slotCount {
            let slot = (table.next + k) % slotCount
            let start = table.paths + slot * slotSize
            guard start[0] == 0 else { continue }
            // The bytes after the first, then the first: the handler never sees a slot in use
            // with a partial path.
            for (i, b) in bytes.enumerated().dropFirst() { start[i] = CChar(bitPattern: b) }
            start[bytes.count] = 0
            start[0] = CChar(bitPattern: bytes[0])
            table.next = (slot + 1) % slotCount  // round robin: a slot is rarely reused at once
            return slot
        }
        return nil
    }

    /// Takes a path registered by `register` off the list.
    package static func release(_ slot: Int?) {
        guard let slot else { return }
        let table = self.table
        pthread_mutex_lock(table.lock)
        (table.paths + slot * slotSize)[0] = 0
        pthread_mutex_unlock(table.lock)
    }

    /// Removes every listed file: async-signal-safe.
    fileprivate static func unlinkAll() {
        guard let paths = tablePaths else { return }
        for slot in 0..<slotCount where paths[slot * slotSize] != 0 {
            unlink(paths + slot * slotSize)
        }
    }

    private static func install(_ sig: Int32) {
        let previous = signal(sig, temporaryFilesSignalHandler)
        // Someone else's (or ignored): put it back.
        if unsafeBitCast(previous, to: Int.self) != unsafeBitCast(SIG_DFL, to: Int.self) { signal(sig, previous) }
    }
}

/// Removes the temporary files, then lets the signal end the process as it would have.
private func temporaryFilesSignalHandler(_ sig: Int32) {
    TemporaryFiles.unlinkAll()
    signal(sig, SIG_DFL)
    raise(sig)  // delivered when the handler returns (the signal is blocked while it runs)
}
