import Hummingbird

/// The body of a :predict answer, `{"predictions":[{"label":…,"probabilities":{…}},…]}`, written
/// straight into bytes.
///
/// JSONSerialization first boxes every key and number of the answer into Foundation objects: under
/// load that took a quarter of the server's time, more than the network itself. The shape and the
/// key order (sorted, as `ServeResponder.json` writes them) are the same.
struct PredictionsJSON {
    private(set) var buffer: ByteBuffer
    private let quotedLabels: [String]
    /// Label indices in the order their keys are written: sorted by name.
    private let keyOrder: [Int]
    private var count = 0

    init(labels: [String], expected: Int) {
        quotedLabels = labels.map(Self.quote)
        keyOrder = labels.indices.sorted { labels[$0] < labels[$1] }
        buffer = ByteBuffer()
        buffer.reserveCapacity(16 + expected * (32 + labels.count * 32 + quotedLabels.reduce(0) { $0 + 2 * $1.utf8.count }))
        buffer.writeStaticString("{\"predictions\":[")
    }

    /// Appends one prediction: the index of its label and its probabilities, in label order. A
    /// non-finite number is refused (JSON has none), as a server error.
    mutating func append(label: Int, probabilities: [Float]) throws {
        guard quotedLabels.indices.contains(label), probabilities.count == quotedLabels.count,
              probabilities.allSatisfy(\.isFinite) else {
            throw ServeError(.internalServerError, "the model gave no finite probability for each of its labels.")
        }
        if count > 0 { buffer.writeStaticString(",") }
        count += 1
        buffer.writeStaticString("{\"label\":")
        buffer.writeString(quotedLabels[label])
        buffer.writeStaticString(",\"probabilities\":{")
        for (n, k) in keyOrder.enumerated() {
            if n > 0 { buffer.writeStaticString(",") }
            buffer.writeString(quotedLabels[k])
            buffer.writeStaticString(":")
            buffer.writeString(Double(probabilities[k]).description)
        }
        buffer.writeStaticString("}}")
    }

    /// The whole body, closed and ending in a newline as `ServeResponder.json`'s do.
    mutating func finish() -> ByteBuffer {
        buffer.writeStaticString("]}\n")
        return buffer
    }

    /// `s` as a JSON string: quotes, backslashes and control characters escaped, the rest as is.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
