import Foundation

/// A malformed or unreadable safetensors file: which file, and what is wrong with it.
public struct SafetensorsError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        case unreadable, truncated, headerPastEnd, badJSON, badEntry, unsupportedDType
        case offsetsOutOfRange, overlapping, sizeMismatch, missingTensor, unwritable
    }
    public var kind: Kind
    public var path: String
    public var detail: String

    public var description: String { "\(path): \(detail)" }
}

/// Reader and writer for the safetensors format:
///
///     [8 bytes: little-endian UInt64 n][n bytes: JSON header][raw little-endian tensor data]
///
/// The header maps each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets
/// relative to the data section) and may hold `"__metadata__"`, a string → string map. Tensors are
/// read as Float32; F16, BF16 and F64 are converted.
public struct Safetensors: Sendable {
    public struct Entry: Sendable, Equatable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.values = values
        }
    }

    public var tensors: [String: Entry]
    public var metadata: [String: String]

    public init(tensors: [String: Entry] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    static let dtypeSizes = ["F32": 4, "F16": 2, "BF16": 2, "F64": 8]
    /// The header may not exceed this (the reference implementation's limit): a corrupt length
    /// must not make us allocate gigabytes.
    static let maxHeaderLength = 100_000_000

    // MARK: Reading

    /// Reads the file at `path`: the 8-byte header length and the JSON header first, checked
    /// against the file's size, and only then the data, so a corrupt or hostile file is refused
    /// before its data is read. The file must be a regular file.
    public static func read(path: String) throws -> Safetensors {
        try read(path: path) { _, _ in }
    }

    /// Reads as `read(path:)` does, calling `checkHeader` with the metadata and the number of
    /// values of all tensors before any data is read; whatever it throws stops the read.
    static func read(path: String, checkingHeader checkHeader: (_ metadata: [String: String], _ values: Int) throws -> Void)
        throws -> Safetensors {
        func unreadable(_ error: FileBytes.Failure) -> SafetensorsError {
            SafetensorsError(kind: .unreadable, path: path, detail: error.detail)
        }
        let handle: FileHandle, size: Int
        do { (handle, size) = try FileBytes.openRegular(path, kindOfFile: "a model file") } catch { throw unreadable(error) }
        defer { try? handle.close() }
        func bytes(_ count: Int) throws -> [UInt8] {
            do { return try FileBytes.read(handle, count: count) } catch { throw unreadable(error) }
        }
        let lengthBytes = try bytes(8)
        let n = try headerLength(lengthBytes, fileSize: size, path: path)
        let header = try Header(json: bytes(n), dataCount: size - 8 - n, path: path)
        try checkHeader(header.metadata, header.entries.reduce(0) { $0 + $1.elements })
        let data = try bytes(header.dataCount)
        guard data.count == header.dataCount else {
            throw SafetensorsError(kind: .truncated, path: path, detail: "the file ended while it was being read.")
        }
        return header.tensors(from: data, at: 0)
    }

    public static func parse(_ bytes: [UInt8], path: String = "<memory>") throws -> Safetensors {
        let n = try headerLength(Array(bytes.prefix(8)), fileSize: bytes.count, path: path)
        let header = try Header(json: Array(bytes[8..<(8 + n)]), dataCount: bytes.count - 8 - n, path: path)
        return header.tensors(from: bytes, at: 8 + n)
    }

    /// The header length the first 8 bytes give, checked against the file's size.
    private static func headerLength(_ bytes: [UInt8], fileSize: Int, path: String) throws -> Int {
        guard bytes.count == 8, fileSize >= 8 else {
            throw SafetensorsError(kind: .truncated, path: path, detail: "only \(fileSize) bytes: too short for a safetensors file (an 8-byte header length comes first). Is it a model file?")
        }
        var n: UInt64 = 0
        for k in 0..<8 { n |= UInt64(bytes[k]) << (8 * UInt64(k)) }
        guard n <= UInt64(fileSize - 8) else {
            throw SafetensorsError(kind: .headerPastEnd, path: path, detail: "the header length (\(n) bytes) runs past the end of the file (\(fileSize) bytes): the file is truncated or not safetensors.")
        }
        guard n <= UInt64(maxHeaderLength) else {
            throw SafetensorsError(kind: .headerPastEnd, path: path, detail: "the header length (\(n) bytes) is larger than any valid header.")
        }
        return Int(n)
    }

    /// The JSON header, checked: every tensor's dtype, shape and offsets, which must tile the
    /// `dataCount` bytes of data exactly.
    private struct Header {
        struct Tensor { var name: String, dtype: String, shape: [Int], begin: Int, elements: Int }
        var metadata: [String: String] = [:]
        var entries: [Tensor] = []
        var dataCount: Int

        init(json bytes: [UInt8], dataCount: Int, path: String) throws {
            func fail(_ kind: SafetensorsError.Kind, _ detail: String) -> SafetensorsError {
                SafetensorsError(kind: kind, path: path, detail: detail)
            }
            self.dataCount = dataCount
            let json: Any
            do {
                json = try JSONSerialization.jsonObject(with: Data(bytes))
            } catch {
                throw fail(.badJSON, "the header is not valid JSON. The file is corrupt or not safetensors.")
            }
            guard let header = json as? [String: Any] else {
                throw fail(.badJSON, "the header is JSON but not an object.")
            }
            var spans: [(begin: Int, end: Int, name: String)] = []
            for (name, value) in header {
                if name == "__metadata__" {
                    guard let m = value as? [String: Any] else { throw fail(.badEntry, "`__metadata__` must be an object of strings.") }
                    for (k, v) in m {
                        guard let s = v as? String else { throw fail(.badEntry, "metadata `\(k)` is not a string.") }
                        metadata[k] = s
                    }
                    continue
                }
                guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                      let shapeAny = entry["shape"] as? [Any], let offsetsAny = entry["data_offsets"] as? [Any] else {
                    throw fail(.badEntry, "tensor `\(name)` needs `dtype`, `shape` and `data_offsets`.")
                }
                guard let shape = integers(shapeAny), shape.allSatisfy({ $0 >= 0 }) else {
                    throw fail(.badEntry, "tensor `\(name)` has a shape that is not a list of non-negative integers.")
                }
                guard let offsets = integers(offsetsAny), offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
                    throw fail(.badEntry, "tensor `\(name)` has `data_offsets` that are not [begin, end] with begin ≤ end.")
                }
                guard let size = dtypeSizes[dtype] else {
                    throw fail(.unsupportedDType, "tensor `\(name)` has dtype \(dtype); RNNKit reads F32, F16, BF16 and F64.")
                }
                guard offsets[1] <= dataCount else {
                    throw fail(.offsetsOutOfRange, "tensor `\(name)` ends at byte \(offsets[1]) of the data, which has only \(dataCount) bytes: the file is truncated.")
                }
                let (elements, overflow) = shape.reduce((1, false)) { acc, d in
                    let (m, o) = acc.0.multipliedReportingOverflow(by: d)
                    return (m, acc.1 || o)
                }
                let (bytesNeeded, bytesOverflow) = elements.multipliedReportingOverflow(by: size)
                guard !overflow, !bytesOverflow, bytesNeeded == offsets[1] - offsets[0] else {
                    throw fail(.sizeMismatch, "tensor `\(name)` has shape \(shape) of \(dtype) but \(offsets[1] - offsets[0]) bytes of data.")
                }
                spans.append((offsets[0], offsets[1], name))
                entries.append(Tensor(name: name, dtype: dtype, shape: shape, begin: offsets[0], elements: elements))
            }
            spans.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
            var end = 0
            for s in spans {
                guard s.begin >= end else {
                    throw fail(.overlapping, "tensor `\(s.name)` overlaps the data of another tensor.")
                }
                guard s.begin == end else {
                    throw fail(.offsetsOutOfRange, "a gap of \(s.begin - end) bytes precedes tensor `\(s.name)`: the offsets are corrupt.")
                }
                end = s.end
            }
            guard end == dataCount else {
                throw fail(.offsetsOutOfRange, "\(dataCount - end) bytes of data after the last tensor belong to none: the offsets are corrupt.")
            }
        }

        /// The tensors, from data that starts at `base` in `bytes` (checked to fit by `init`).
        func tensors(from bytes: [UInt8], at base: Int) -> Safetensors {
            var result = Safetensors(metadata: metadata)
            for e in entries {
                result.tensors[e.name] = Entry(shape: e.shape, values: decode(bytes, from: base + e.begin, count: e.elements,
                                                                             dtype: e.dtype))
            }
            return result
        }
    }

    private static func integers(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard let n = v as? NSNumber else { return nil }
            let d = n.doubleValue
            guard d == d.rounded(), abs(d) < 0x1p53 else { return nil }
            out.append(Int(d))
        }
        return out
    }

    private static func decode(_ bytes: [UInt8], from base: Int, count: Int, dtype: String) -> [Float] {
        bytes.withUnsafeBytes { raw in
            var out = [Float](repeating: 0, count: count)
            for i in 0..<count {
                switch dtype {
                case "F32":
                    out[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: base + 4 * i, as: UInt32.self).littleEndian)
                case "F64":
                    out[i] = Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: base + 8 * i, as: UInt64.self).littleEndian))
                case "BF16":
                    let h = raw.loadUnaligned(fromByteOffset: base + 2 * i, as: UInt16.self).littleEndian
                    out[i] = Float(bitPattern: UInt32(h) << 16)
                default:  // F16
                    out[i] = halfToFloat(raw.loadUnaligned(fromByteOffset: base + 2 * i, as: UInt16.self).littleEndian)
                }
            }
            return out
        }
    }

    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        switch exponent {
        case 0:  // zero or subnormal: mantissa · 2^−24
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 31:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
        }
    }

    // MARK: Writing

    /// The file's bytes: tensors in name order, F32, header padded with spaces to 8 bytes.
    public func serialized() -> [UInt8] {
        var header = "{"
        if !metadata.isEmpty {
            header += "\"__metadata__\":{"
            header += metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }.joined(separator: ",")
            header += "}"
        }
        var offset = 0
        for name in tensors.keys.sorted() {
            let e = tensors[name]!
            let bytes = e.values.count * 4
            if header.count > 1 { header += "," }
            header += "\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(e.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}"
            offset += bytes
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + headerBytes.count + offset)
        let n = UInt64(headerBytes.count)
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: n >> (8 * UInt64(k)))) }
        out += headerBytes
        for name in tensors.keys.sorted() {
            for v in tensors[name]!.values {
                let b = v.bitPattern.littleEndian
                out += [UInt8(truncatingIfNeeded: b), UInt8(truncatingIfNeeded: b >> 8),
                        UInt8(truncatingIfNeeded: b >> 16), UInt8(truncatingIfNeeded: b >> 24)]
            }
        }
        return out
    }

    /// Writes atomically: a temporary file beside `path`, flushed, then renamed over it, so an
    /// interrupted save never leaves a half-written model where a good one was.
    public func write(to path: String) throws {
        try AtomicFile.write(serialized(), to: path)
    }

    /// A model's save: refuses weights that are not finite numbers (naming the tensor), then
    /// writes atomically. Every model kind's `save(to:)` is this on its own `safetensors()`.
    package func writeModel(to path: String) throws {
        try StateDict.checkFinite(tensors, path: path, saving: true)
        try write(to: path)
    }
}

/// JSON string literal with the escapes JSON requires.
func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
