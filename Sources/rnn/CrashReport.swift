import Foundation

/// What a crash shows. Swift's runtime answers a crash with a backtrace of build paths and
/// registers, set up from `SWIFT_BACKTRACE` before `main` runs, with no way to embed other
/// defaults in a program. Replacing its handlers is the one way left: a crash then prints one line
/// and ends by the signal as before (exit status 128 + n). `SWIFT_BACKTRACE` set (e.g.
/// `enable=yes`) keeps the runtime's backtrace for whoever debugs.
enum CrashReport {
    /// The crash signals the runtime's backtracer handles; it also takes SIGQUIT, which a user
    /// sends (Ctrl-\) and which gets its default action back, with no message.
    private static let signals = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT]

    /// Made before any handler is installed: a handler may only write bytes that already exist.
    nonisolated(unsafe) private static var message: UnsafeMutableBufferPointer<UInt8> = {
        let text = "rnn: internal error (it crashed). Please report it with the command that was run; "
            + "SWIFT_BACKTRACE=enable=yes shows where it happened.\n"
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: text.utf8.count)
        _ = buffer.initialize(from: text.utf8)
        return buffer
    }()

    static func install() {
        guard getenv("SWIFT_BACKTRACE") == nil else { return }
        _ = message
        signal(SIGQUIT, SIG_DFL)
        for s in signals {
            signal(s) { number in
                // Async-signal-safe only: write, reset and re-raise.
                _ = write(STDERR_FILENO, CrashReport.message.baseAddress, CrashReport.message.count)
                signal(number, SIG_DFL)
                raise(number)
            }
        }
    }
}
