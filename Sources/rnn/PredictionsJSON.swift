import Hummingbird

/// The body of a :predict answer, `{"predictions":[{"label":…,"probabilities":{…}},…]}`, written
/// straight into bytes.
///
/// JSONSerialization first boxes every key and number of the answer into Foundation objects: under
/// load that took a quarter of the server's time, more than the network itself. The shape and the
/// key order (sorted, as `ServeResponder.json` writes them) are the same.
struct PredictionsJSON {
    /// What every answer of one model shares, worked out once per model: its labels as JSON
    /// strings, and the order their keys are written in (sorted by name).
    struct Labels: Sendable {
        let quoted: [String]
        let keyOrder: [Int]

        init(_ labels: [String]) {
            quoted = labels.map(jsonQuote)
            keyOrder = labels.indices.sorted { labels[$0] < labels[$1] }
        }
    }

    private(set) var buffer: ByteBuffer
    private let labels: Labels
    private var count = 0

    init(_ labels: Labels, expected: Int) {
        self.labels = labels
        buffer = ByteBuffer()
        buffer.reserveCapacity(16 + expected * (32 + labels.quoted.reduce(0) { $0 + 24 + 2 * $1.utf8.count }))
        buffer.writeStaticString("{\"predictions\":[")
    }

    /// Appends one prediction: the index of its label and its probabilities, in label order. A
    /// non-finite number is refused (JSON has none), as a server error.
    mutating func append(label: Int, probabilities: [Float]) throws {
        guard labels.quoted.indices.contains(label), probabilities.count == labels.quoted.count,
              probabilities.allSatisfy(\.isFinite) else {
            throw ServeError(.internalServerError, "the model gave no finite probability for each of its labels.")
        }
        if count > 0 { buffer.writeStaticString(",") }
        count += 1
        buffer.writeStaticString("{\"label\":")
        buffer.writeString(labels.quoted[label])
        buffer.writeStaticString(",\"probabilities\":{")
        for (n, k) in labels.keyOrder.enumerated() {
            if n > 0 { buffer.writeStaticString(",") }
            buffer.writeString(labels.quoted[k])
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
}
