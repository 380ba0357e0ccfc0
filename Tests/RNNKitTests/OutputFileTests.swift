import Foundation
import RNNKit
import Testing

// The library's own output checks, as an API user meets them through `Safetensors.write` (the path
// every model and checkpoint save takes) and `OutputFile.check`.

@Suite("Output files")
struct OutputFileTests {
    private let file = Safetensors(tensors: ["w": .init(shape: [2], values: [1, 2])])

    @Test("Writing to a device, a FIFO or a read-only file throws and leaves it as it was")
    func refusedTargets() throws {
        let dir = try makeScratchDirectory()
        defer {
            chmod(dir.appendingPathComponent("ro").path, 0o644)
            try? FileManager.default.removeItem(at: dir)
        }
        let device = dir.appendingPathComponent("null").path, fifo = dir.appendingPathComponent("fifo").path
        let readOnly = dir.appendingPathComponent("ro").path
        // /dev/null's numbers (1, 3); mknod needs root.
        try #require(mknod(device, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0,
                     "this test needs root to make a device node (mknod: \(String(cString: strerror(errno))))")
        try #require(mkfifo(fifo, 0o644) == 0)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: readOnly))
        chmod(readOnly, 0o444)
        let expected: [(String, OutputFileError.Kind)] = [(device, .notRegularFile(what: "a character device")),
                                                          (fifo, .notRegularFile(what: "a FIFO (named pipe)")),
                                                          (readOnly, .readOnly)]
        for (path, kind) in expected {
            #expect(throws: OutputFileError(kind: kind, path: path)) { try file.write(to: path) }
        }
        var info = stat()
        #expect(lstat(device, &info) == 0 && info.st_mode & S_IFMT == S_IFCHR, "the device node was replaced")
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO, "the FIFO was replaced")
        #expect(try Data(contentsOf: URL(fileURLWithPath: readOnly)) == Data("keep".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["fifo", "null", "ro"])
    }

    @Test("check compares by file identity: another name, a hard link, a symbolic link, a file not there yet")
    func identity() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.tsv").path
        try Data("text\n".utf8).write(to: URL(fileURLWithPath: input))
        try FileManager.default.linkItem(atPath: input, toPath: dir.appendingPathComponent("hard").path)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("soft").path, withDestinationPath: "in.tsv")
        for name in ["in.tsv", "./in.tsv", "hard", "soft"] {
            let path = dir.path + "/" + name
            #expect(throws: OutputFileError(kind: .sameFileAs(input: input), path: path)) {
                try OutputFile.check(path, notAnyOf: [input])
            }
        }
        try OutputFile.check(dir.path + "/other", notAnyOf: [input])
        #expect(OutputFile.sameFile(dir.path + "/new", dir.path + "/./new"))
        #expect(!OutputFile.sameFile(dir.path + "/new", dir.path + "/new2"))
    }

    @Test("A symbolic link is written through: the target replaced, the link kept")
    func writeThroughLink() throws {
        let dir = try makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("target").path, link = dir.appendingPathComponent("link").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: target))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "target")
        try file.write(to: link)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "target")
        #expect(try Safetensors.read(path: target).tensors["w"]?.values == [1, 2])
    }
}

@Suite("Output files: training")
struct TrainingOutputFileTests {
    @Test("A checkpoint path that cannot be written stops training before its first step")
    func checkpointCheckedFirst() throws {
        let data = ClassifierData.tutorial()
        let model = SequenceClassifier(.tutorial(vocabularySize: data.vocabulary.count), seed: 1, initialization: .tutorial)
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-no-such-\(UUID().uuidString)/ck.safetensors").path
        var steps = 0
        #expect(throws: OutputFileError.self) {
            try ClassifierTrainer(model: model, options: TrainingOptions()).fit(
                train: data.train, checkpoint: missing, event: { if case .batch = $0 { steps += 1 } })
        }
        #expect(steps == 0, "training ran \(steps) steps before the checkpoint path was checked")
    }
}
