import Foundation
import RNNKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lines of a file descriptor (standard input), one at a time as they arrive, in memory bounded
/// by the longest line allowed: `readLine()` would hold an endless line (`< /dev/zero`) whole.
struct LineReader {
    enum Line: Equatable {
        /// A line without its LF or CRLF.
        case text(String, number: Int)
        /// A line longer than `maxBytes`; its bytes were skipped as they came, never held.
        case tooLong(number: Int)
        /// A line with a NUL byte: the input is not text, and reading stops here.
        case binary(number: Int)
        /// A line that is not valid UTF-8 (`offset`: of its first invalid byte in the line);
        /// reading goes on with the next line.
        case invalidUTF8(number: Int, offset: Int)
    }

    let descriptor: Int32
    let maxBytes: Int
    private var chunk = [UInt8](repeating: 0, count: 1 << 16)
    private var start = 0, end = 0
    private var number = 0
    private var finished = false

    init(descriptor: Int32 = 0, maxBytes: Int) {
        self.descriptor = descriptor
        self.maxBytes = maxBytes
    }

    /// The next line, or nil at the end of the input (or after a `.binary` line).
    mutating func next() -> Line? {
        guard !finished else { return nil }
        var line: [UInt8] = []
        var tooLong = false, sawAnything = false
        number += 1
        while true {
            if start == end {
                let n = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    finished = true
                    guard sawAnything else { return nil }
                    return tooLong ? .tooLong(number: number) : Self.line(line, number: number)
                }
                (start, end) = (0, n)
            }
            sawAnything = true
            let newline = chunk[start..<end].firstIndex(of: 0x0A)
            let segment = chunk[start..<(newline ?? end)]
            if segment.contains(0) {
                finished = true
                return .binary(number: number)
            }
            if !tooLong {
                if line.count + segment.count > maxBytes {
                    tooLong = true
                    line = []
                } else {
                    line += segment
                }
            }
            guard let newline else { start = end; continue }
            start = newline + 1
            return tooLong ? .tooLong(number: number) : Self.line(line, number: number)
        }
    }

    /// Each non-blank line of standard input, trimmed, one at a time as it arrives, in memory
    /// bounded by `limits`: `text` gets it and its description for messages ("line 3 of standard
    /// input"); `failed` gets the message for a line over the limit or with a NUL byte (where
    /// reading stops). Output is flushed after each line, so each answer comes as its line does,
    /// even into a pipe (where standard output is buffered).
    static func eachStandardInputText(limits: TextLimitOptions, _ text: (String, String) -> Void,
                                      failed: (String) -> Void) {
        var lines = LineReader(maxBytes: limits.maxTextBytes)
        while let line = lines.next() {
            switch line {
            case .text(let line, let number):
                let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
                if !trimmed.isEmpty { text(trimmed, "line \(number) of standard input") }
            case .tooLong(let number):
                failed(limits.tooLong("line \(number) of standard input"))
            case .binary(let number):
                failed("line \(number) of standard input contains a NUL byte: this is not text, so reading stopped there.")
            case .invalidUTF8(let number, let offset):
                failed(invalidUTF8Message(number: number, offset: offset))
            }
            fflush(nil)  // all output streams: standard output is the one buffered
        }
    }

    /// The line as text, without a CR before its LF; invalid UTF-8 is refused, not replaced
    /// (a replaced byte would be read as some other word without a word of warning).
    private static func line(_ bytes: [UInt8], number: Int) -> Line {
        let body = Array(bytes.last == 0x0D ? bytes.dropLast() : bytes[...])
        if let offset = UTF8Validation.firstInvalidOffset(body) { return .invalidUTF8(number: number, offset: offset) }
        return .text(String(decoding: body, as: UTF8.self), number: number)
    }

    /// What an invalid line of standard input is told.
    static func invalidUTF8Message(number: Int, offset: Int) -> String {
        "line \(number) of standard input is not valid UTF-8 (the first invalid byte is at byte \(offset + 1) of the line): "
            + "convert the input to UTF-8, e.g. with `iconv -f latin1 -t utf-8`."
    }
}
