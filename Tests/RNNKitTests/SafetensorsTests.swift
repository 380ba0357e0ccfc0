import Foundation
import Testing
import RNNKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A safetensors file built by hand: 8-byte little-endian header length, the header, the data.
private func handMade(_ header: String, _ data: [UInt8] = []) -> [UInt8] {
    let h = Array(header.utf8)
    return (0..<8).map { UInt8(truncatingIfNeeded: UInt64(h.count) >> (8 * UInt64($0))) } + h + data
}

private func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v in (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
}

/// The kind of error `parse` throws for `bytes`, or nil when it parses.
private func parseErrorKind(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> SafetensorsError.Kind? {
    do {
        _ = try Safetensors.parse(bytes, path: "test.safetensors")
        return nil
    } catch let e as SafetensorsError {
        #expect(e.path == "test.safetensors", sourceLocation: sourceLocation)
        #expect(!e.detail.isEmpty, sourceLocation: sourceLocation)
        return e.kind
    } catch {
        Issue.record("parse threw \(type(of: error)), not SafetensorsError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A small trained-shape classifier with random weights (V = 18 tutorial words, H = 8).
private func sampleClassifier(seed: UInt64, hiddenSize: Int = 8) -> TextClassifier {
    let data = ClassifierData.tutorial()
    let model = SequenceClassifier(.tutorial(vocabularySize: data.vocabulary.count, hiddenSize: hiddenSize,
                                             numClasses: data.labels.count))
    randomReference(V: data.vocabulary.count, H: hiddenSize, O: data.labels.count, sigma: 0.7, seed: seed).copy(into: model)
    var training = TrainingOptions()
    training.epochs = 123
    training.seed = seed
    return TextClassifier(model: model, vocabulary: data.vocabulary, labels: data.labels, tokenizer: data.tokenizer,
                          training: training)
}

private func parameterBits(_ model: SequenceClassifier) -> [String: [UInt32]] {
    Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.value.array.map(\.bitPattern)) })
}

/// The body of `interruptedWriteKeepsOld`, run in a child process: 0 when the old model survived a
/// failed save untouched, else a code saying which check failed.
private func interruptedWriteScenario(in dir: URL) -> Int32 {
    guard (try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)) != nil else { return 10 }
    let path = dir.appendingPathComponent("model.safetensors").path
    let old = Safetensors(tensors: ["w": .init(shape: [4], values: [1, 2, 3, 4])], metadata: ["v": "old"])
    guard (try? old.write(to: path)) != nil else { return 11 }
    let oldBytes = FileManager.default.contents(atPath: path)
    // Writes past 4 KiB now fail with EFBIG (SIGXFSZ ignored), like a full disk.
    signal(SIGXFSZ, SIG_IGN)
    var limit = rlimit(rlim_cur: 4096, rlim_max: 4096)
    #if os(Linux)
    let resource = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
    #else
    let resource = RLIMIT_FSIZE
    #endif
    guard setrlimit(resource, &limit) == 0 else { return 12 }
    let big = Safetensors(tensors: ["w": .init(shape: [10_000], values: [Float](repeating: 0.5, count: 10_000))])
    do {
        try big.write(to: path)
        return 13  // the write should have failed
    } catch let e as SafetensorsError {
        guard e.kind == .unwritable else { return 14 }
    } catch {
        return 15
    }
    guard FileManager.default.contents(atPath: path) == oldBytes else { return 16 }  // old model damaged
    guard (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) == ["model.safetensors"] else { return 17 }  // temp file left
    return 0
}

@Suite("Safetensors and model files")
struct SafetensorsTests {
    // MARK: Round trips

    @Test("TextClassifier save/load keeps weights, vocabulary, labels, settings and predictions")
    func classifierRoundTrip() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.safetensors").path
        let original = sampleClassifier(seed: 3)
        try original.save(to: path)
        let loaded = try TextClassifier.load(from: path)

        #expect(parameterBits(loaded.model) == parameterBits(original.model))
        #expect(loaded.model.configuration == original.model.configuration)
        #expect(loaded.vocabulary == original.vocabulary)
        #expect(loaded.labels == original.labels)
        #expect(loaded.tokenizer == original.tokenizer)
        #expect(loaded.training == original.training)
        for text in ["i am very good", "this is not happy", "not bad at all", "good good good bad", "xyz happy"] {
            let a = try original.predict(text), b = try loaded.predict(text)
            #expect(a == b, "\"\(text)\"")
        }
        #expect(try loaded.predict("xyz happy").unknownWords == ["xyz"])
        #expect(throws: TextClassifier.PredictionError.noKnownWords(text: "xyz abc")) { try loaded.predict("xyz abc") }
    }

    /// The file layout the issue fixes: PyTorch's names and shapes, Wxh as (H, V), a zero second
    /// bias, and the metadata keys.
    @Test("Model files use PyTorch tensor names and the rnnkit metadata")
    func classifierFileLayout() throws {
        let classifier = sampleClassifier(seed: 4)
        let file = try Safetensors.parse(classifier.safetensors().serialized())
        let (V, H, O) = (18, 8, 2)
        let expectedShapes: [String: [Int]] = [
            "rnn.weight_ih_l0": [H, V], "rnn.weight_hh_l0": [H, H], "rnn.bias_ih_l0": [H], "rnn.bias_hh_l0": [H],
            "fc.weight": [O, H], "fc.bias": [O],
        ]
        #expect(file.tensors.mapValues(\.shape) == expectedShapes)
        let r = ReferenceRNNClassifier<Double>(from: classifier.model)
        #expect(file.tensors["rnn.weight_ih_l0"]!.values.map(Double.init) == r.wxh)
        #expect(file.tensors["rnn.weight_hh_l0"]!.values.map(Double.init) == r.whh)
        #expect(file.tensors["rnn.bias_ih_l0"]!.values.map(Double.init) == r.bh)
        #expect(file.tensors["rnn.bias_hh_l0"]!.values.allSatisfy { $0 == 0 })
        #expect(file.tensors["fc.weight"]!.values.map(Double.init) == r.why)
        #expect(file.tensors["fc.bias"]!.values.map(Double.init) == r.by)

        #expect(file.metadata["format"] == "pt")
        #expect(file.metadata["rnnkit.version"] == rnnKitVersion)
        let vocabulary = try JSONSerialization.jsonObject(with: Data(try #require(file.metadata["rnnkit.vocabulary"]).utf8)) as? [String]
        #expect(vocabulary == classifier.vocabulary.tokens)
        let labels = try JSONSerialization.jsonObject(with: Data(try #require(file.metadata["rnnkit.labels"]).utf8)) as? [String]
        #expect(labels == ["negative", "positive"])
        let config = try JSONSerialization.jsonObject(with: Data(try #require(file.metadata["rnnkit.config"]).utf8)) as? [String: Any]
        #expect(config?["vocab_size"] as? Int == V)
        #expect(config?["hidden_size"] as? Int == H)
        #expect(config?["num_classes"] as? Int == O)
        #expect(config?["tokenizer"] as? String == "spaces")
        #expect((config?["training"] as? [String: Any])?["epochs"] as? Int == 123)
    }

    @Test("A model whose file has both PyTorch biases loads with their sum")
    func biasesAreSummedOnLoad() throws {
        let classifier = sampleClassifier(seed: 5)
        var file = classifier.safetensors()
        let bih = file.tensors["rnn.bias_ih_l0"]!.values
        let bhh = (0..<bih.count).map { Float($0) * 0.125 - 0.5 }
        file.tensors["rnn.bias_hh_l0"] = .init(shape: [bih.count], values: bhh)
        let loaded = try TextClassifier(safetensors: Safetensors.parse(file.serialized()))
        let r = ReferenceRNNClassifier<Double>(from: loaded.model)
        expectClose(r.bh, zip(bih, bhh).map { Double($0 + $1) }, tolerance: 0, "bh = b_ih + b_hh")
    }

    @Test("A safetensors file that is not an RNNKit model is rejected clearly")
    func notAModel() throws {
        let plain = Safetensors(tensors: ["w": .init(shape: [2], values: [1, 2])], metadata: ["format": "pt"])
        #expect { try TextClassifier(safetensors: Safetensors.parse(plain.serialized())) } throws: {
            ($0 as? ModelFileError)?.kind == .notAModel
        }
        // A missing tensor is named in the error.
        var file = sampleClassifier(seed: 6).safetensors()
        file.tensors["fc.bias"] = nil
        do {
            _ = try TextClassifier(safetensors: Safetensors.parse(file.serialized()))
            Issue.record("loading a model without fc.bias succeeded")
        } catch let e as SafetensorsError {
            #expect(e.description.contains("fc.bias"), "\(e)")
        }
    }

    @Test("Safetensors round trip with metadata, odd names and shapes")
    func safetensorsRoundTrip() throws {
        let original = Safetensors(
            tensors: [
                "matrix": .init(shape: [2, 3], values: [1, -2, 3.5, .infinity, -0.0, .leastNonzeroMagnitude]),
                "scalar": .init(shape: [], values: [42]),
                "empty": .init(shape: [0, 4], values: []),
                "name with \"quotes\", \\ and ünïcödé": .init(shape: [1], values: [-7]),
                "nan": .init(shape: [1], values: [.nan]),
            ],
            metadata: ["format": "pt", "note": "line one\nline two\t\"quoted\" \\ €", "empty": "", "\u{1}": "control"])
        let bytes = original.serialized()
        let headerLength = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect(headerLength % 8 == 0, "the header is padded to 8 bytes")
        #expect(bytes.count == 8 + headerLength + 4 * (6 + 1 + 0 + 1 + 1))
        let parsed = try Safetensors.parse(bytes)
        #expect(parsed.metadata == original.metadata)
        #expect(Set(parsed.tensors.keys) == Set(original.tensors.keys))
        for (name, e) in original.tensors {
            #expect(parsed.tensors[name]?.shape == e.shape, "\(name)")
            #expect(parsed.tensors[name]?.values.map(\.bitPattern) == e.values.map(\.bitPattern), "\(name)")
        }
        // Through a file as well; and writing is deterministic.
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("t.safetensors").path
        try original.write(to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
        let read = try Safetensors.read(path: path)
        #expect(read.metadata == original.metadata)
        #expect(read.tensors["matrix"]?.values.map(\.bitPattern) == original.tensors["matrix"]!.values.map(\.bitPattern))
    }

    // MARK: Other dtypes

    @Test("F16, BF16 and F64 tensors are decoded to Float")
    func otherDTypes() throws {
        // F16: 1, −2, 65504 (largest), 2⁻²⁴ (smallest subnormal), −0, +∞, 1/3 rounded, 2⁻¹⁴ (smallest normal), NaN.
        let f16: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x7C00, 0x3555, 0x0400, 0x7E00, 0x83FF]
        // BF16: 1, −3, 3.140625, −∞, 1e-38-ish subnormal boundary (0x0080 = 2⁻¹²⁶).
        let bf16: [UInt16] = [0x3F80, 0xC040, 0x4049, 0xFF80, 0x0080]
        let f64: [Double] = [1.5, -2.25, 1e-3, 1e300, -0.0]
        var data = littleEndian(f16)
        let bfStart = data.count
        data += littleEndian(bf16)
        let f64Start = data.count
        data += littleEndian(f64.map(\.bitPattern))
        let header = """
            {"h":{"dtype":"F16","shape":[2,5],"data_offsets":[0,\(bfStart)]},\
            "b":{"dtype":"BF16","shape":[5],"data_offsets":[\(bfStart),\(f64Start)]},\
            "d":{"dtype":"F64","shape":[5],"data_offsets":[\(f64Start),\(data.count)]}}
            """
        let file = try Safetensors.parse(handMade(header, data))
        let h = try #require(file.tensors["h"]?.values)
        #expect(file.tensors["h"]?.shape == [2, 5])
        #expect(Array(h[0..<8]) == [1, -2, 65504, 0x1p-24, 0, .infinity, 0.333251953125, 0x1p-14])
        #expect(h[4].sign == .minus)
        #expect(h[8].isNaN)
        #expect(h[9] == -Float(0x3FF) * 0x1p-24)  // largest negative subnormal
        let b = try #require(file.tensors["b"]?.values)
        #expect(b == [1, -3, 3.140625, -.infinity, 0x1p-126])
        let d = try #require(file.tensors["d"]?.values)
        #expect(d[0] == 1.5 && d[1] == -2.25 && d[2] == Float(1e-3))
        #expect(d[3] == .infinity)  // beyond Float's range
        #expect(d[4] == 0 && d[4].sign == .minus)
    }

    // MARK: Malformed files

    @Test("Each kind of malformed file gives its error kind")
    func malformedKinds() {
        let four = [UInt8](repeating: 0, count: 4), eight = [UInt8](repeating: 0, count: 8)
        func one(_ entry: String) -> String { "{\"a\":\(entry)}" }

        // Too short for the length field.
        #expect(parseErrorKind([]) == .truncated)
        #expect(parseErrorKind([1, 2, 3, 4, 5, 6, 7]) == .truncated)
        // Header length past the end of the file (and absurdly large).
        #expect(parseErrorKind(littleEndian([UInt64(100)]) + Array("{}".utf8)) == .headerPastEnd)
        #expect(parseErrorKind(littleEndian([UInt64.max]) + Array("{}".utf8)) == .headerPastEnd)
        #expect(parseErrorKind(Array(handMade("{}").dropLast())) == .headerPastEnd)
        // Not JSON; JSON but not an object.
        #expect(parseErrorKind(handMade("{not json")) == .badJSON)
        #expect(parseErrorKind(handMade("")) == .badJSON)
        #expect(parseErrorKind(handMade("[1, 2, 3]")) == .badJSON)
        #expect(parseErrorKind(handMade("\"text\"")) == .badJSON)
        // Entries without their fields, or with fields of the wrong kind.
        #expect(parseErrorKind(handMade(one(#"{"dtype":"F32","shape":[1]}"#), four)) == .badEntry)
        #expect(parseErrorKind(handMade(one(#"{"shape":[1],"data_offsets":[0,4]}"#), four)) == .badEntry)
        #expect(parseErrorKind(handMade(one(#"{"dtype":"F32","data_offsets":[0,4]}"#), four)) == .badEntry)
        #expect(parseErrorKind(handMade(one("5"), four)) == .badEntry)
        #expect(parseErrorKind(handMade(one(#"{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}"#), four)) == .badEntry)
        #expect(parseErrorKind(handMade(one(#"{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}"#), four)) == .badEntry)
        #expect(parseErrorKind(handMade(one(#"{"dtype":"F32","shape":[1],"data_offsets":[4,0]}"#), four)) == .badEntry)
        #expect(parseErrorKind(handMade(one(#"{"dtype":"F32","shape":[1],"data_offsets":[0]}"#), four)) == .badEntry)
        #expect(parseErrorKind(handMade(#"{"__metadata__":{"k":1}}"#)) == .badEntry)
        #expect(parseErrorKind(handMade(#"{"__metadata__":[]}"#)) == .badEntry)
        // A dtype RNNKit does not read.
        #expect(parseErrorKind(handMade(one(#"{"dtype":"I32","shape":[1],"data_offsets":[0,4]}"#), four)) == .unsupportedDType)
        // Offsets beyond the data.
        #expect(parseErrorKind(handMade(one(#"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#), four)) == .offsetsOutOfRange)
        // Two tensors sharing bytes.
        #expect(parseErrorKind(handMade(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                                        eight + four)) == .overlapping)
        // Shape and byte count disagree.
        #expect(parseErrorKind(handMade(one(#"{"dtype":"F32","shape":[3],"data_offsets":[0,8]}"#), eight)) == .sizeMismatch)
        #expect(parseErrorKind(handMade(one(#"{"dtype":"F16","shape":[3],"data_offsets":[0,8]}"#), eight)) == .sizeMismatch)
        // Bytes that belong to no tensor: trailing, or a gap between tensors.
        #expect(parseErrorKind(handMade(one(#"{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#), eight)) == .offsetsOutOfRange)
        #expect(parseErrorKind(handMade("{}", four)) == .offsetsOutOfRange)
        #expect(parseErrorKind(handMade(one(#"{"dtype":"F32","shape":[1],"data_offsets":[4,8]}"#), eight)) == .offsetsOutOfRange)
        // And the well-formed versions of the same files parse.
        #expect(parseErrorKind(handMade(one(#"{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#), four)) == nil)
        #expect(parseErrorKind(handMade("{}")) == nil)
        #expect(parseErrorKind(handMade("{}    ")) == nil)  // header padding
    }

    @Test("Reading a missing file or a directory gives .unreadable")
    func unreadable() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for path in [dir.appendingPathComponent("missing.safetensors").path, dir.path] {
            do {
                _ = try Safetensors.read(path: path)
                Issue.record("reading \(path) succeeded")
            } catch let e as SafetensorsError {
                #expect(e.kind == .unreadable)
                #expect(e.path == path)
            }
        }
        // A text file is not a model: a clear error, not a crash.
        let text = dir.appendingPathComponent("notes.txt")
        try Data("these are some notes, not a model\n".utf8).write(to: text)
        #expect(throws: SafetensorsError.self) { try TextClassifier.load(from: text.path) }
    }

    /// Random corruptions of a valid file (byte flips, truncations, insertions, new header lengths)
    /// must throw a `SafetensorsError` or parse into consistent tensors; never crash.
    @Test("Corrupted and truncated files throw or parse, never crash")
    func corruptionsNeverCrash() {
        let valid = sampleClassifier(seed: 8, hiddenSize: 3).safetensors().serialized()
        var rng = SeededGenerator(seed: 2024)
        var threw = 0, parsed = 0
        for _ in 0..<400 {
            var bytes = valid
            switch rng.nextInt(below: 5) {
            case 0:  // flip a few bytes anywhere
                for _ in 0...rng.nextInt(below: 4) { bytes[rng.nextInt(below: bytes.count)] ^= UInt8(1 + rng.nextInt(below: 255)) }
            case 1:  // truncate
                bytes = Array(bytes.prefix(rng.nextInt(below: bytes.count)))
            case 2:  // corrupt the header (where the structure is)
                let headerEnd = min(bytes.count, 8 + Int(bytes[0]) + 256 * Int(bytes[1]))
                for _ in 0...rng.nextInt(below: 3) { bytes[8 + rng.nextInt(below: headerEnd - 8)] = UInt8(rng.nextInt(below: 256)) }
            case 3:  // insert or delete bytes
                let at = rng.nextInt(below: bytes.count)
                if rng.nextInt(below: 2) == 0 { bytes.insert(UInt8(rng.nextInt(below: 256)), at: at) } else { bytes.remove(at: at) }
            default:  // a different header length
                let n = UInt64(rng.nextInt(below: bytes.count + 16))
                for k in 0..<8 { bytes[k] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(k))) }
            }
            do {
                let file = try Safetensors.parse(bytes)
                parsed += 1
                for (name, e) in file.tensors {
                    #expect(e.values.count == e.shape.reduce(1, *), "\(name): \(e.values.count) values for shape \(e.shape)")
                }
            } catch is SafetensorsError {
                threw += 1
            } catch {
                Issue.record("parse threw \(type(of: error)): \(error)")
            }
        }
        #expect(threw + parsed == 400)
        #expect(threw > 200, "only \(threw) of 400 corruptions were detected")
    }

    /// A header whose shape is huge but whose element count does not overflow still must not make
    /// the byte count (elements × dtype size) overflow: that is a malformed file, to be rejected with
    /// an error. Run in a child process, because an arithmetic overflow traps.
    @Test("A shape whose byte size overflows Int is rejected, not a crash")
    func hugeShapeIsRejected() async {
        await #expect(processExitsWith: .success) {
            // 2^52 · 512 = 2^61 elements (no overflow); × 8 bytes for F64 = 2^64 (overflow).
            let header = #"{"a":{"dtype":"F64","shape":[4503599627370496,512],"data_offsets":[0,0]}}"#
            let h = Array(header.utf8)
            let bytes = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(h.count) >> (8 * UInt64($0))) } + h
            do {
                _ = try Safetensors.parse(bytes)
                exit(2)  // parsed: wrong, but not a crash
            } catch {
                exit(error is SafetensorsError ? 0 : 3)
            }
        }
    }

    // MARK: Atomic writes

    @Test("Saving over an existing model replaces it and leaves no temporary files")
    func atomicReplace() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("model.safetensors").path
        let first = sampleClassifier(seed: 10), second = sampleClassifier(seed: 11, hiddenSize: 5)
        try first.save(to: path)
        try second.save(to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
        let loaded = try TextClassifier.load(from: path)
        #expect(parameterBits(loaded.model) == parameterBits(second.model))
        #expect(loaded.model.configuration.hiddenSize == 5)
    }

    @Test("Saving into a missing folder throws .noFolder and creates nothing")
    func unwritableFolder() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("missing/model.safetensors").path
        do {
            try sampleClassifier(seed: 12).save(to: path)
            Issue.record("saving into a missing folder succeeded")
        } catch let e as OutputFileError {
            #expect(e.kind == .noFolder(dir.appendingPathComponent("missing").path))
            #expect(e.path == path)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test("A save that cannot replace its target leaves the old contents and no temporary file")
    func failedReplaceKeepsOld() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The target is a non-empty folder, which is refused before anything is written.
        let target = dir.appendingPathComponent("model.safetensors")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: target.appendingPathComponent("inside.txt"))
        do {
            try sampleClassifier(seed: 13).save(to: target.path)
            Issue.record("saving over a non-empty folder succeeded")
        } catch let e as OutputFileError {
            #expect(e.kind == .notRegularFile(what: "a folder"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
        #expect(try Data(contentsOf: target.appendingPathComponent("inside.txt")) == Data("keep".utf8))
    }

    /// A write that fails part-way (here: the file-size limit, as a full disk would) must leave the
    /// old model byte for byte, and no temporary file. In a child process, since the limit is
    /// process-wide.
    @Test("A save that fails mid-write leaves the old model intact")
    func interruptedWriteKeepsOld() async {
        await #expect(processExitsWith: .success) {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-fsize-\(getpid())")
            try? FileManager.default.removeItem(at: dir)
            let code = interruptedWriteScenario(in: dir)
            try? FileManager.default.removeItem(at: dir)
            exit(code)
        }
    }
}
