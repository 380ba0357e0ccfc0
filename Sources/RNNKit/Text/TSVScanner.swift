/// Splits tab-separated lines into fields. No quoting: every tab separates.
struct TSVScanner: RecordScanner {
    let bytes: [UInt8]
    var i: Int
    var line = 1

    init(bytes: [UInt8], start: Int) {
        self.bytes = bytes
        self.i = start
    }

    mutating func next() -> Record? {
        while let (number, content) = Lines.next(bytes, &i, &line) {
            if content.allSatisfy(ASCII.isBlank) { continue }
            return .fields(line: number, content.split(separator: ASCII.tab, omittingEmptySubsequences: false))
        }
        return nil
    }
}
