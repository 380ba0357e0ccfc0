import Foundation
import Testing
@testable import RNNKit

/// A reader of what `TensorBoardWriter` writes, independent of it: TFRecord framing with both
/// CRCs checked, and the protobuf fields of `Event`, `Summary` and `Summary.Value`.
private struct EventFileReader {
    struct Event {
        var wallTime: Double?
        var step: Int64 = 0
        var fileVersion: String?
        var values: [(tag: String, value: Float)] = []
    }

    struct Malformed: Error, CustomStringConvertible { var description: String }

    /// TensorFlow's masking, written out here rather than taken from the writer's code.
    static func mask<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        let crc = CRC32C.checksum(bytes)  // the test vector checks this one
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    static func records(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var out: [[UInt8]] = [], at = 0
        func u32(_ i: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[i + $1]) << (8 * $1) } }
        while at < bytes.count {
            guard at + 12 <= bytes.count else { throw Malformed(description: "truncated header at \(at)") }
            let length = Int((0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) })
            guard u32(at + 8) == mask(bytes[at..<at + 8]) else { throw Malformed(description: "length CRC at \(at)") }
            guard at + 12 + length + 4 <= bytes.count else { throw Malformed(description: "truncated record at \(at)") }
            let data = Array(bytes[at + 12..<at + 12 + length])
            guard u32(at + 12 + length) == mask(data) else { throw Malformed(description: "data CRC at \(at)") }
            out.append(data)
            at += 12 + length + 4
        }
        return out
    }

    /// (field number, wire type, varint value or bytes) of a protobuf message.
    static func fields(_ m: [UInt8]) throws -> [(Int, Int, UInt64, [UInt8])] {
        var out: [(Int, Int, UInt64, [UInt8])] = [], at = 0
        func varint() throws -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard at < m.count else { throw Malformed(description: "truncated varint") }
                let b = m[at]; at += 1
                v |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return v }
                shift += 7
            }
        }
        while at < m.count {
            let key = try varint()
            let (number, type) = (Int(key >> 3), Int(key & 7))
            switch type {
            case 0: out.append((number, type, try varint(), []))
            case 1: out.append((number, type, 0, Array(m[at..<at + 8]))); at += 8
            case 2:
                let n = Int(try varint())
                out.append((number, type, 0, Array(m[at..<at + n]))); at += n
            case 5: out.append((number, type, 0, Array(m[at..<at + 4]))); at += 4
            default: throw Malformed(description: "wire type \(type)")
            }
        }
        return out
    }

    static func events(_ bytes: [UInt8]) throws -> [Event] {
        try records(bytes).map { data in
            var e = Event()
            for (number, type, v, b) in try fields(data) {
                switch (number, type) {
                case (1, 1): e.wallTime = Double(bitPattern: b.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian)
                case (2, 0): e.step = Int64(bitPattern: v)
                case (3, 2): e.fileVersion = String(decoding: b, as: UTF8.self)
                case (5, 2):
                    for (n, t, _, value) in try fields(b) where n == 1 && t == 2 {
                        var tag = "", x = Float.nan
                        for (vn, vt, _, vb) in try fields(value) {
                            if vn == 1 && vt == 2 { tag = String(decoding: vb, as: UTF8.self) }
                            if vn == 2 && vt == 5 { x = Float(bitPattern: vb.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }.littleEndian) }
                        }
                        e.values.append((tag, x))
                    }
                default: throw Malformed(description: "unexpected field \(number) type \(type)")
                }
            }
            return e
        }
    }
}

private func temporaryFolder() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rnnkit-reports-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func report(epoch: Int, loss: Double, validation: Metrics? = nil, best: Bool = true) -> EpochReport {
    EpochReport(epoch: epoch, completeEpoch: true, train: Metrics(loss: loss, accuracy: 0.5, count: 10), validation: validation,
                test: nil, isBest: best, isFinal: false, skippedSteps: 0, seconds: 0.1, tokens: 100, elapsed: Double(epoch),
                tokensPerSecond: 1000)
}

/// A tutorial run (small) with all three writers attached through `fit(event:)`, as an API user would.
private func tutorialRun(in folder: String) throws -> (evaluations: [EpochReport], board: TensorBoardWriter, run: ClassifierTraining,
                                                       page: TrainingReport, summary: TrainingSummary) {
    var recipe = ClassifierRecipe.tutorial
    recipe.training.epochs = 20
    recipe.training.reportEvery = 5
    let run = try ClassifierTraining(train: TutorialDataset.train, validation: TutorialDataset.test, test: nil, recipe: recipe)
    let log = try MetricsLog(path: folder + "/metrics.jsonl")
    let page = try TrainingReport(path: folder + "/report.html", card: .init(title: "tutorial <test>",
                                  data: [("training", "built-in", "58 examples")], settings: [("model", "rnn")]))
    let board = try TensorBoardWriter(directory: folder)
    var evaluations: [EpochReport] = []
    let summary = try run.fit { event in
        try log.record(event)
        try page.record(event)
        try board.record(event)
        if case .evaluated(let r) = event { evaluations.append(r) }
    }
    return (evaluations, board, run, page, summary)
}

/// The number after `"key":` in a JSON line, read with Swift's exact parser.
private func rawNumber(_ line: Substring, _ key: String) -> Double? {
    guard let start = line.range(of: "\"\(key)\":")?.upperBound else { return nil }
    return Double(line[start...].prefix { $0 != "," && $0 != "}" })
}

@Suite("Training reports")
struct TrainingReportTests {
    @Test func crc32cTestVector() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func tensorBoardEventsReadBack() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (evaluations, board, _, _, _) = try tutorialRun(in: folder)
        let name = (board.path as NSString).lastPathComponent
        #expect(name.hasPrefix("events.out.tfevents."))
        let events = try EventFileReader.events(Array(try Data(contentsOf: URL(fileURLWithPath: board.path))))
        try #require(events.count == evaluations.count + 1)
        #expect(events[0].fileVersion == "brain.Event:2")
        #expect(events[0].values.isEmpty)
        for (event, r) in zip(events.dropFirst(), evaluations) {
            #expect(event.step == Int64(r.epoch))
            #expect((event.wallTime ?? 0) > 1_600_000_000)
            let values = Dictionary(uniqueKeysWithValues: event.values.map { ($0.tag, $0.value) })
            #expect(Set(values.keys) == ["train/loss", "train/accuracy", "validation/loss", "validation/accuracy",
                                         "speed/tokens_per_second"])
            #expect(values["train/loss"] == Float(r.train.loss))
            #expect(values["train/accuracy"] == Float(r.train.accuracy!))
            #expect(values["validation/loss"] == Float(r.validation!.loss))
            #expect(values["validation/accuracy"] == Float(r.validation!.accuracy!))
        }
        #expect(events.dropFirst().map(\.step) == [5, 10, 15, 20])
    }

    @Test func tensorBoardLeavesOutNonFiniteAndAddsLanguageModelScalars() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let board = try TensorBoardWriter(directory: folder, level: .char)
        try board.record(.evaluated(report(epoch: 1, loss: 2, validation: Metrics(loss: .nan, count: 3))))
        try board.record(.evaluated(report(epoch: 2, loss: .infinity)))
        let events = try EventFileReader.events(Array(try Data(contentsOf: URL(fileURLWithPath: board.path))))
        let tags = events.map { $0.values.map(\.tag) }
        #expect(tags[1] == ["train/loss", "train/accuracy", "train/perplexity", "train/bpc", "speed/tokens_per_second"])
        #expect(events[1].values[3].value == Float(2 / log(2.0)))
        #expect(tags[2] == ["train/accuracy", "speed/tokens_per_second"])
        #expect(events.allSatisfy { $0.values.allSatisfy { $0.value.isFinite } })
    }

    @Test func tensorBoardNeverWritesOverAFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try TensorBoardWriter(directory: folder, wallTime: 1_700_000_000)
        let before = try Data(contentsOf: URL(fileURLWithPath: first.path))
        // The same second on the same host: a new file beside it.
        let second = try TensorBoardWriter(directory: folder, wallTime: 1_700_000_000)
        #expect(second.path == first.path + ".2")
        try second.add([("x", 1)], step: 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: first.path)) == before)
        // A file that is not ours in the way of every name: refused, none written over.
        let third = first.path + ".3"
        try Data("mine".utf8).write(to: URL(fileURLWithPath: third))
        for n in 4...100 { try Data("mine".utf8).write(to: URL(fileURLWithPath: first.path + ".\(n)")) }
        #expect(throws: ReportFileError.self) { _ = try TensorBoardWriter(directory: folder, wallTime: 1_700_000_000) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: third)) == Data("mine".utf8))
        #expect(try Data(contentsOf: URL(fileURLWithPath: first.path)) == before)
        #expect(throws: OutputFileError.self) { _ = try TensorBoardWriter(directory: folder + "/missing") }
    }

    @Test func metricsLogLines() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (evaluations, _, _, _, _) = try tutorialRun(in: folder)
        let text = try String(contentsOfFile: folder + "/metrics.jsonl", encoding: .utf8)
        let lines = text.split(separator: "\n")
        try #require(lines.count == evaluations.count)
        for (line, r) in zip(lines, evaluations) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["epoch"] as? Int == r.epoch)
            // Foundation's JSON reader on Linux rounds the last digit; the text itself round-trips.
            #expect(abs((object["train_loss"] as? Double ?? 0) - r.train.loss) < 1e-12)
            #expect(rawNumber(line, "train_loss") == r.train.loss)
            #expect(rawNumber(line, "train_accuracy") == r.train.accuracy)
            #expect(rawNumber(line, "validation_loss") == r.validation?.loss)
            #expect(rawNumber(line, "validation_accuracy") == r.validation?.accuracy)
            #expect(object["best"] as? Bool == r.isBest)
            #expect(object["elapsed_seconds"] is Double)
            #expect(object["tokens_per_second"] is Double)
            #expect(object["test_loss"] == nil)
        }
        // Not finite: null, never NaN or Infinity (which JSON has no words for).
        let bad = MetricsLog.line(for: report(epoch: 3, loss: .nan, validation: Metrics(loss: .infinity, accuracy: 0.5, count: 2)),
                                  level: .word)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bad.utf8)) as? [String: Any])
        #expect(object["train_loss"] is NSNull)
        #expect(object["validation_loss"] is NSNull)
        #expect(object["validation_perplexity"] is NSNull)
        #expect(!bad.lowercased().contains("nan") && !bad.lowercased().contains("inf"))
    }

    @Test func reportPageIsSelfContained() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (_, _, run, page, summary) = try tutorialRun(in: folder)
        // While training: the curves, no confusion matrix yet.
        let during = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        #expect(during.contains("training in progress"))
        #expect(during.components(separatedBy: "<svg").count - 1 == 2)
        let evaluation = try run.classifier.evaluate(on: TutorialDataset.test)
        try page.finish(summary: summary, classification: (evaluation.report, "validation data"),
                        mistakes: run.classifier.mostConfidentMistakes(on: TutorialDataset.test, limit: 5))
        let html = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        for outside in ["http://", "https://", "<script", "<link", "@import", "url("] {
            #expect(!html.contains(outside), "the page reaches outside: \(outside)")
        }
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("tutorial &lt;test&gt;"))  // escaped
        // Loss, accuracy, the confusion matrix.
        #expect(html.components(separatedBy: "<svg").count - 1 == 3)
        #expect(html.contains("class=\"confusion\""))
        #expect(html.contains("Confusion matrix (validation data)"))
        #expect(html.contains("<polyline"))
        if let best = summary.bestEpoch { #expect(html.contains("best: epoch \(best)")) }
        // One heat-map cell per pair of labels, holding the counts.
        #expect(html.components(separatedBy: "<title>true ").count - 1 == 4)
        let c = evaluation.report.confusion
        #expect(html.contains("true negative, predicted positive: \(c[0][1])</title>"))
        for (label, scores) in zip(evaluation.report.labels, evaluation.report.classes) {
            #expect(html.contains("<td class=\"text\">\(label)</td><td>\(String(format: "%.4f", scores.precision))</td>"))
        }
        // The mistakes are drawn as explain draws them: one coloured span per token, with its numbers.
        let mistakes = run.classifier.mostConfidentMistakes(on: TutorialDataset.test, limit: 5)
        let spans = mistakes.reduce(0) { $0 + ($1.explanation?.tokens.count ?? 0) }
        #expect(!mistakes.isEmpty && spans > 0)
        #expect(html.components(separatedBy: "<span class=\"word").count - 1 == spans)
        #expect(html.contains("title=\"p(\(mistakes[0].predictedLabel)) so far "))
        #expect(html.contains("RNNKit</th><td class=\"text\">\(rnnKitVersion)"))
        #expect(!html.contains("nan"))
    }

    @Test func mostConfidentMistakesAreWrongAndSorted() throws {
        var recipe = ClassifierRecipe.tutorial
        recipe.training.epochs = 30
        let classifier = try TextClassifier.train(on: .rows(TutorialDataset.train, name: "t"), recipe: recipe)
        let mistakes = classifier.mostConfidentMistakes(on: TutorialDataset.test, limit: 100)
        #expect(!mistakes.isEmpty)
        #expect(mistakes.allSatisfy { $0.trueLabel != $0.predictedLabel && $0.probability >= 0.5 })
        #expect(mistakes.map(\.probability) == mistakes.map(\.probability).sorted(by: >))
        for m in mistakes {
            #expect(try classifier.predict(m.text).label == m.predictedLabel)
            // Each comes explained, and the explanation is `explain`'s own.
            #expect(m.explanation == (try classifier.explain(m.text)))
        }
        #expect(classifier.mostConfidentMistakes(on: TutorialDataset.test, limit: 1).count == 1)
    }
}

@Suite("Training reports: resumed runs")
struct MetricsLogResumeTests {
    @Test func resumedRunKeepsTheEarlierEpochs() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/metrics.jsonl"
        let first = try MetricsLog(path: path)
        for epoch in 1...4 { try first.record(.evaluated(report(epoch: epoch, loss: Double(epoch)))) }
        // The run stopped after epoch 4 with a checkpoint from the end of epoch 2; it resumes at 3.
        let second = try MetricsLog(path: path)
        let plan = TrainingPlan(trainTokens: 1, validationTokens: 0, batchesPerEpoch: 1, epochs: 5, maxTime: nil,
                                parameterCount: 1, resumed: ResumePoint(epoch: 3, batch: 0, elapsed: 1))
        try second.record(.started(plan))
        try second.record(.evaluated(report(epoch: 3, loss: 30)))
        let epochs = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { MetricsLog.epoch(of: String($0)) }
        #expect(epochs == [1, 2, 3])
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("\"train_loss\":30"))
        // A fresh run starts the file afresh.
        let fresh = try MetricsLog(path: path)
        try fresh.record(.started(TrainingPlan(trainTokens: 1, validationTokens: 0, batchesPerEpoch: 1, epochs: 1, maxTime: nil,
                                               parameterCount: 1, resumed: nil)))
        try fresh.record(.evaluated(report(epoch: 1, loss: 5)))
        #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count == 1)
    }
}
