import Foundation

/// Why a checkpoint could not be resumed from: which file, and what is wrong with it.
public struct CheckpointError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// Not a readable safetensors file, or not a checkpoint of this library (or version).
        case unreadable
        /// Written for another task (a classifier checkpoint given to a language model).
        case otherTask
        /// Written by a run with another model, options or data; `detail` says what differs.
        case mismatch
        /// A checkpoint, but with parts missing or malformed.
        case corrupt
    }
    public var kind: Kind
    public var path: String
    public var detail: String

    public var description: String {
        "\(path): \(detail) Delete it (or write checkpoints elsewhere) to start afresh."
    }
}

/// The complete state of a training run in one safetensors file, so that an interrupted run
/// resumes to a bit-identical model:
///
/// - tensors `model.*`, the weights now; `best.*`, the best weights so far (once there are any);
///   `optimizer.*`, the optimizer's state (`Optimizer.stateTensors()`); `task.*`, what the
///   task carries within an epoch (a language model's recurrent state);
/// - metadata `rnnkit.checkpoint`, JSON: the task, the model configuration, the options and a
///   fingerprint of the data (all checked on resume), the position (epoch, batch within it,
///   seconds used, the epoch's running sums), the dropout generator, the task's generators, and
///   the early-stopping state.
///
/// Doubles and 64-bit words are stored as the decimal strings of their bit patterns: JSON numbers
/// are doubles, and NaN has no JSON form. Written atomically (temporary file, then rename).
struct Checkpoint {
    static let formatVersion = 1
    static let metadataKey = "rnnkit.checkpoint"

    /// What a run is, checked before resuming: another model, other options or other data give
    /// another run.
    struct Identity: Codable, Equatable {
        /// "classifier" or "language_model".
        var task: String
        /// JSON of the model configuration and of the options.
        var model: String
        var options: String
        var data: DataFingerprint
    }

    /// The training and validation data, by size and content hash; `unit` names what is counted.
    struct DataFingerprint: Codable, Equatable {
        var unit: String
        var trainCount: Int
        var trainHash: String
        var validationCount: Int
        var validationHash: String
        /// The tokens by id, and a classifier's labels: the same ids over another vocabulary are
        /// other data. Absent in checkpoints written before it was recorded (then not compared).
        var vocabularyHash: String?
    }

    /// Where the run is.
    struct Position: Codable, Equatable {
        var epoch: Int
        /// Batches done in `epoch`.
        var batch: Int
        /// Bit patterns of the wall-clock seconds used, and of the epoch's loss sum.
        var elapsed: String
        var epochLossSum: String
        var epochCount: Int
        var epochCorrect: Int?
        var epochSkipped: Int
        var epochTokens: Int
        var epochSeconds: String
    }

    struct Header: Codable {
        var format: Int
        var identity: Identity
        var position: Position
        var optimizer: String
        var dropoutRNG: [String]
        var task: [String: String]
        var stopping: EarlyStopping.State
    }

    var header: Header
    var tensors: [String: Safetensors.Entry]

    func write(to path: String) throws {
        let json = String(decoding: try JSONEncoder().encode(header), as: UTF8.self)
        try Safetensors(tensors: tensors, metadata: [Self.metadataKey: json]).write(to: path)
    }

    static func read(path: String) throws -> Checkpoint {
        let file: Safetensors
        do {
            file = try Safetensors.read(path: path)
        } catch let error as SafetensorsError {
            throw CheckpointError(kind: .unreadable, path: path, detail: "is not a readable checkpoint (\(error.detail)).")
        }
        guard let json = file.metadata[metadataKey] else {
            throw CheckpointError(kind: .unreadable, path: path, detail: "is not an RNNKit training checkpoint.")
        }
        guard let header = try? JSONDecoder().decode(Header.self, from: Data(json.utf8)), header.format == formatVersion else {
            throw CheckpointError(kind: .corrupt, path: path,
                                  detail: "has a malformed or unsupported checkpoint description.")
        }
        let checkpoint = Checkpoint(header: header, tensors: file.tensors)
        if let problem = checkpoint.problem() {
            throw CheckpointError(kind: .corrupt, path: path, detail: "is damaged: \(problem)")
        }
        return checkpoint
    }

    /// Optimizer buffers that are averages or sums of squares, never negative.
    static let nonNegativeBuffers = ["exp_avg_sq", "max_exp_avg_sq", "square_avg", "sum"]

    /// What no training run writes, as a phrase naming the key or tensor: a non-finite weight or
    /// state, a learning rate that is not positive, a negative second moment, a negative count
    /// or time. What depends on the run (sizes, batches per epoch) `TrainingLoop` checks.
    func problem() -> String? {
        for name in tensors.keys.sorted() {
            let values = tensors[name]!.values
            if let i = values.firstIndex(where: { !$0.isFinite }) {
                return "tensor `\(name)` holds \(values[i]) (element \(i)); a checkpoint holds finite numbers only."
            }
            if name == "optimizer.lr", let lr = values.first, !(lr > 0) {
                return "the learning rate (tensor `optimizer.lr`) is \(lr); it must be positive."
            }
            if name.hasPrefix("optimizer."), Self.nonNegativeBuffers.contains(where: { name.hasSuffix("." + $0) }),
               let i = values.firstIndex(where: { $0 < 0 }) {
                return "tensor `\(name)` holds \(values[i]) (element \(i)), but it is a sum or average of squares, never negative."
            }
        }
        let p = header.position
        for (key, value) in [("epoch", p.epoch), ("batch", p.batch), ("epochCount", p.epochCount),
                             ("epochSkipped", p.epochSkipped), ("epochTokens", p.epochTokens),
                             ("evaluationsWithoutImprovement", header.stopping.evaluationsWithoutImprovement)] where value < 0 {
            return "`\(key)` is \(value); it cannot be negative."
        }
        if let correct = p.epochCorrect, !(0...max(p.epochCount, 0)).contains(correct) {
            return "`epochCorrect` is \(correct), outside 0…\(p.epochCount) (`epochCount`)."
        }
        for (key, bits) in [("elapsed", p.elapsed), ("epochSeconds", p.epochSeconds), ("epochLossSum", p.epochLossSum)] {
            guard let value = Self.double(bits) else { return "`\(key)` is not a stored number." }
            guard value.isFinite && value >= 0 else { return "`\(key)` is \(value); it must be a finite number of at least 0." }
        }
        if let epoch = header.stopping.bestEpoch, !(1...max(p.epoch, 1)).contains(epoch) {
            return "`bestEpoch` is \(epoch), outside 1…\(p.epoch) (`epoch`)."
        }
        guard let bestLoss = Self.double(header.stopping.bestLoss) else { return "`bestLoss` is not a stored number." }
        // +∞ until the first validation.
        guard !bestLoss.isNaN && bestLoss >= 0 else { return "`bestLoss` is \(bestLoss); it must be at least 0." }
        if let v = header.stopping.bestValidation, v.count == 3 {
            let loss = Self.double(v[0]), accuracy = v[1].isEmpty ? 0 : Self.double(v[1])
            guard let loss, loss.isFinite, loss >= 0, let accuracy, (0...1).contains(accuracy), (Int(v[2]) ?? -1) >= 0 else {
                return "`bestValidation` is not a finite loss, an accuracy between 0 and 1 and a count."
            }
        }
        if Self.generator(header.dropoutRNG) == nil { return "`dropoutRNG` is not a generator state." }
        return nil
    }

    /// Throws unless this checkpoint was written by the run `current` describes. The number of
    /// epochs and the time budget may differ: they say how long to go on, not what to compute.
    func check(_ current: Identity, path: String) throws {
        let saved = header.identity
        guard saved.task == current.task else {
            throw CheckpointError(kind: .otherTask, path: path,
                                  detail: "is a \(Self.words(saved.task)) checkpoint, not a \(Self.words(current.task)) one.")
        }
        var differences = Self.differences(saved.model, current.model, ignoring: []).map { "model: " + $0 }
        differences += Self.differences(saved.options, current.options, ignoring: ["epochs", "max_time"])
            .map { "training options: " + $0 }
        let (a, b) = (saved.data, current.data)
        if a.trainCount != b.trainCount {
            differences.append("training data: \(a.trainCount) \(a.unit) in the checkpoint, \(b.trainCount) here")
        } else if a.trainHash != b.trainHash {
            differences.append("training data: as many \(a.unit), but others (another text or vocabulary?)")
        }
        if let saved = a.vocabularyHash, let current = b.vocabularyHash, saved != current {
            differences.append("vocabulary: \(a.unit == "examples" ? "the words or labels" : "the tokens") differ from the checkpoint's (other training data?)")
        }
        if a.validationCount != b.validationCount {
            differences.append("validation data: \(a.validationCount) \(a.unit) in the checkpoint, \(b.validationCount) here")
        } else if a.validationHash != b.validationHash {
            differences.append("validation data: as many \(a.unit), but others")
        }
        guard differences.isEmpty else {
            throw CheckpointError(kind: .mismatch, path: path,
                                  detail: "was written by another training run — " + differences.joined(separator: "; ") + ".")
        }
    }

    /// Keys of two JSON objects whose values differ, as "hidden size is 32 in the checkpoint, 16 here".
    static func differences(_ saved: String, _ current: String, ignoring: Set<String>) -> [String] {
        func object(_ s: String) -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(s.utf8))) as? [String: Any] ?? [:]
        }
        func text(_ v: Any?) -> String {
            switch v {
            case nil: return "unset"
            case is NSNull: return "none"
            case let s as String: return s
            case let v?: return "\(v)"
            }
        }
        let (a, b) = (object(saved), object(current))
        return Set(a.keys).union(b.keys).subtracting(ignoring).sorted().compactMap { key in
            let (x, y) = (text(a[key]), text(b[key]))
            return x == y ? nil : "\(words(key)) is \(x) in the checkpoint, \(y) here"
        }
    }

    static func words(_ key: String) -> String { key.replacingOccurrences(of: "_", with: " ") }

    // MARK: Encoding helpers

    static func bits(_ x: Double) -> String { String(x.bitPattern) }
    static func double(_ s: String) -> Double? { UInt64(s).map(Double.init(bitPattern:)) }
    static func words(_ g: SeededGenerator) -> [String] { g.state.map(String.init) }
    static func generator(_ words: [String]) -> SeededGenerator? {
        let state = words.compactMap(UInt64.init)
        return state.count == words.count ? SeededGenerator(state: state) : nil
    }

    /// `hash` of strings in order, each ended by a value no UTF-8 byte has.
    static func hash(strings: [String]) -> String {
        hash(strings.lazy.flatMap { $0.utf8.map(Int.init) + [-1] })
    }

    /// FNV-1a over the integers, as 16 hex digits: a content check, not a cryptographic one.
    static func hash<S: Sequence>(_ values: S) -> String where S.Element == Int {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for v in values {
            var x = UInt64(bitPattern: Int64(v))
            for _ in 0..<8 {
                h = (h ^ (x & 0xFF)) &* 0x100_0000_01B3
                x >>= 8
            }
        }
        return String(h, radix: 16)
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
