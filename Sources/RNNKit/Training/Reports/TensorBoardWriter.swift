#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes a TensorBoard event file of scalars, so that TensorBoard (`tensorboard --logdir DIR`)
/// shows a run's curves: `train/loss`, `train/accuracy`, `validation/…`, `test/…`, for language
/// models `…/perplexity` (and `…/bpc` at the character level), and `speed/tokens_per_second`.
/// The step of each value is the epoch.
///
/// The file, `events.out.tfevents.<unix time>.<host>` in `directory`, is a TFRecord log of
/// protobuf `Event`s, encoded here by hand. It is created new (an existing file of that name is
/// never written over: the name gets a suffix `.2`, `.3`, … instead) and appended to after each evaluation, each record written whole
/// as it comes, so TensorBoard can read a run that is still going. Non-finite values are left out.
///
///     let board = try TensorBoardWriter(directory: "runs")
///     try run.fit { event in try board.record(event) }
public final class TensorBoardWriter {
    /// The event file written.
    public let path: String
    private let level: TokenLevel?
    private var descriptor: Int32

    /// Creates the event file in `directory`, which must exist.
    /// - Parameter level: the token level of a language model (adds perplexity, and bits per
    ///   character for `.char`); nil for a classifier.
    /// - Throws: `ReportFileError` when the file cannot be created, `OutputFileError` when
    ///   `directory` cannot take it.
    public init(directory: String, level: TokenLevel? = nil, wallTime: Double = Date().timeIntervalSince1970) throws {
        var host = [CChar](repeating: 0, count: 256)
        let name = gethostname(&host, host.count - 1) == 0
            ? String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        // A host name is a file name component here: keep it one.
        let safeHost = String(name.map { $0 == "/" ? "_" : $0 })
        let base = (directory.hasSuffix("/") ? directory : directory + "/") + "events.out.tfevents.\(Int(wallTime)).\(safeHost)"
        self.level = level
        try OutputFile.check(base)
        // O_EXCL: another run's log is never appended to or replaced; a run started in the same
        // second on the same host gets the next free suffix (.2, .3, …) instead.
        var candidate = base, fd: Int32 = -1
        for n in 1...100 {
            candidate = n == 1 ? base : "\(base).\(n)"
            fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0o644)
            if fd >= 0 || errno != EEXIST { break }
        }
        path = candidate
        descriptor = fd
        guard descriptor >= 0 else {
            let why = errno == EEXIST ? "the file exists already (and 99 more with suffixes); it is not written over"
                : "cannot create it (\(String(cString: strerror(errno))))"
            throw ReportFileError(path: path, detail: why)
        }
        try append(Self.event(wallTime: wallTime, step: 0, fileVersion: "brain.Event:2"))
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Writes the scalars of an `.evaluated` event at step = epoch; other events are ignored.
    public func record(_ event: TrainingEvent, wallTime: Double = Date().timeIntervalSince1970) throws {
        guard case .evaluated(let report) = event else { return }
        try add(EpochScalars.of(report, level: level), step: report.epoch, wallTime: wallTime)
    }

    /// Writes scalars at `step` in one event; non-finite values are left out.
    public func add(_ scalars: [(tag: String, value: Double)], step: Int,
                    wallTime: Double = Date().timeIntervalSince1970) throws {
        let finite = scalars.filter { $0.value.isFinite && Float($0.value).isFinite }
        guard !finite.isEmpty else { return }
        var summary: [UInt8] = []
        for s in finite {
            var value: [UInt8] = []
            Self.field(1, bytes: Array(s.tag.utf8), into: &value)
            value.append(0x15)  // field 2, 32-bit: simple_value
            withUnsafeBytes(of: Float(s.value).bitPattern.littleEndian) { value.append(contentsOf: $0) }
            Self.field(1, bytes: value, into: &summary)
        }
        try append(Self.event(wallTime: wallTime, step: step, summary: summary))
    }

    /// An `Event`: wall_time (1, double), step (2, int64), then file_version (3) or summary (5).
    static func event(wallTime: Double, step: Int, fileVersion: String? = nil, summary: [UInt8]? = nil) -> [UInt8] {
        var out: [UInt8] = [0x09]
        withUnsafeBytes(of: wallTime.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        out.append(0x10)
        varint(UInt64(bitPattern: Int64(step)), into: &out)
        if let fileVersion { field(3, bytes: Array(fileVersion.utf8), into: &out) }
        if let summary { field(5, bytes: summary, into: &out) }
        return out
    }

    /// A length-delimited field.
    private static func field(_ number: UInt8, bytes: [UInt8], into out: inout [UInt8]) {
        out.append(number << 3 | 2)
        varint(UInt64(bytes.count), into: &out)
        out.append(contentsOf: bytes)
    }

    private static func varint(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        out.append(UInt8(v))
    }

    /// TFRecord framing: length (uint64), masked CRC32C of the length, data, masked CRC32C of the
    /// data, all little-endian; written in one call so a reader never sees half a record header.
    static func record(_ data: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { length.append(contentsOf: $0) }
        var out = length
        withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: data)
        withUnsafeBytes(of: CRC32C.masked(data).littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    private func append(_ event: [UInt8]) throws {
        guard AtomicFile.writeAll(Self.record(event), to: descriptor) else {
            throw ReportFileError(path: path, detail: "cannot write (\(String(cString: strerror(errno))))")
        }
    }
}
