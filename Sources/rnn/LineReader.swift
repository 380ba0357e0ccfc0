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
                    return tooLong ? .tooLong(number: number) : .text(Self.text(line), number: number)
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
            return tooLong ? .tooLong(number: number) : .text(Self.text(line), number: number)
        }
    }

    private static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.last == 0x0D ? bytes.dropLast() : bytes[...], as: UTF8.self)
    }
}
