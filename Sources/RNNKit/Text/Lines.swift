/// Physical lines of a file of bytes.
enum Lines {
    /// The next physical line from `i` without its LF or CRLF, with its 1-based number.
    static func next(_ bytes: [UInt8], _ i: inout Int, _ line: inout Int) -> (Int, ArraySlice<UInt8>)? {
        let n = bytes.count
        guard i < n else { return nil }
        let start = i, number = line
        let end = bytes[start...].firstIndex(of: ASCII.lineFeed) ?? n
        i = end < n ? end + 1 : n
        line += 1
        var contentEnd = end
        if contentEnd > start, bytes[contentEnd - 1] == ASCII.carriageReturn { contentEnd -= 1 }
        return (number, bytes[start..<contentEnd])
    }
}
