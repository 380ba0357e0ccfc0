/// Splits RFC 4180 comma-separated records into fields: quoted fields may hold commas, line
/// breaks and `""`; blanks before an opening quote are allowed.
struct CSVScanner: RecordScanner {
    let bytes: [UInt8]
    var i: Int
    var line = 1
    let path: String

    init(bytes: [UInt8], start: Int, path: String) {
        self.bytes = bytes
        self.i = start
        self.path = path
    }

    mutating func next() throws(DataFileError) -> Record? {
        let n = bytes.count
        let (space, tab, quote, comma) = (ASCII.space, ASCII.tab, ASCII.quote, ASCII.comma)
        let (lineFeed, carriageReturn) = (ASCII.lineFeed, ASCII.carriageReturn)
        while i < n {
            let startLine = line
            var fields: [ArraySlice<UInt8>] = []
            var quoted = false
            var problem: String?
            fieldLoop: while true {
                // Leading blanks before an opening quote (`1, "a, b"`) are common in
                // hand-written files; allowing them costs nothing for files that have none.
                var q = i
                while q < n, bytes[q] == space || bytes[q] == tab { q += 1 }
                if q < n, bytes[q] == quote {
                    quoted = true
                    let quoteLine = line
                    i = q + 1
                    var value: [UInt8] = []
                    var segment = i
                    while true {
                        guard i < n else {
                            throw DataFileError(.unterminatedQuote, path: path, line: quoteLine, detail: "a quoted field starts on this line but its closing `\"` is missing, so the rest of the file would be one field. Close the quote; inside a quoted field write a `\"` as `\"\"`.")
                        }
                        let b = bytes[i]
                        if b == quote {
                            if i + 1 < n, bytes[i + 1] == quote {
                                value.append(contentsOf: bytes[segment...i])
                                i += 2
                                segment = i
                                continue
                            }
                            value.append(contentsOf: bytes[segment..<i])
                            i += 1
                            break
                        }
                        if b == lineFeed { line += 1 }
                        i += 1
                    }
                    fields.append(value[...])
                    while i < n, bytes[i] == space || bytes[i] == tab { i += 1 }
                    if i < n, bytes[i] == carriageReturn, i + 1 == n || bytes[i + 1] == lineFeed { i += 1 }
                    if i >= n { break fieldLoop }
                    if bytes[i] == comma { i += 1; continue fieldLoop }
                    if bytes[i] == lineFeed { i += 1; line += 1; break fieldLoop }
                    problem = "has text after the closing quote of a quoted field. Inside a quoted field write a `\"` as `\"\"`, e.g. \"he said \"\"hi\"\"\"."
                    // Resynchronise at the next line: the rest of this one cannot be trusted.
                    while i < n, bytes[i] != lineFeed { i += 1 }
                    if i < n { i += 1; line += 1 }
                    break fieldLoop
                } else {
                    let s = i
                    while i < n, bytes[i] != comma, bytes[i] != lineFeed { i += 1 }
                    var e = i
                    if e > s, bytes[e - 1] == carriageReturn, i == n || bytes[i] == lineFeed { e -= 1 }
                    fields.append(bytes[s..<e])
                    if i >= n { break fieldLoop }
                    if bytes[i] == comma { i += 1; continue fieldLoop }
                    i += 1
                    line += 1
                    break fieldLoop
                }
            }
            if let problem { return .invalid(line: startLine, problem: problem) }
            if !quoted, fields.count == 1, fields[0].allSatisfy(ASCII.isBlank) { continue }
            return .fields(line: startLine, fields)
        }
        return nil
    }
}
