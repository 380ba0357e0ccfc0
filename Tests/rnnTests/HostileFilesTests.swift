import Foundation
import Testing

// The hostile-input probe's "nothing destroyed" cases: an output that is an input (by name, by a
// hard or symbolic link), a device, a FIFO, a folder, a read-only file; a symbolic link followed;
// output paths checked before any work; temporary files removed on signals and, when a killed
// process left them, by the next save.

private let data = "text\tlabel\ngood film\tpositive\nbad film\tnegative\nfine film\tpositive\nawful film\tnegative\n"
private let importFiles = ["w.safetensors": "not really weights", "c.json": "{}", "v.txt": "a\nb\n", "l.json": "[\"x\",\"y\"]"]
private let importArguments = ["import", "--weights", "w.safetensors", "--config", "c.json", "--vocabulary", "v.txt",
                               "--labels", "l.json"]

/// A thrown setup failure that says what the case needs.
private struct SetupFailed: Error, CustomStringConvertible { var description: String }

private func makeDevice(_ path: String) throws {
    // The device numbers of /dev/null (1, 3); making device nodes needs root.
    guard mknod(path, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 else {
        throw SetupFailed(description: "this case needs root to make a device node with mknod (\(String(cString: strerror(errno)))); run the tests as root")
    }
}

private func makeFIFO(_ path: String) throws {
    guard mkfifo(path, 0o644) == 0 else { throw SetupFailed(description: "mkfifo \(path): \(String(cString: strerror(errno)))") }
}

private func link(_ folder: URL, _ name: String, to target: String) throws {
    try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent(name).path, withDestinationPath: target)
}

private func hardLink(_ folder: URL, _ name: String, to target: String) throws {
    try FileManager.default.linkItem(atPath: folder.appendingPathComponent(target).path,
                                     toPath: folder.appendingPathComponent(name).path)
}

@Suite("Hostile input: output files")
struct HostileFilesTests {
    static let sameAsData = "Error: --output d.tsv: it is the same file as --data d.tsv; writing there would destroy it."
    static let notRegular = "it is a character device, not a regular file"

    static let cases: [HostileCase] = [
        // Outputs that are inputs.
        HostileCase(name: "train --output = --data", files: ["d.tsv": data],
                    arguments: ["train", "--data", "d.tsv", "--output", "d.tsv"], status: 1,
                    firstLine: sameAsData, unchanged: ["d.tsv"]),
        HostileCase(name: "train --output = --data by another name", files: ["d.tsv": data],
                    arguments: ["train", "--data", "d.tsv", "--output", "$DIR/./d.tsv"], status: 1,
                    firstLine: "Error: --output ", unchanged: ["d.tsv"]),
        HostileCase(name: "train --output = --validation", files: ["d.tsv": data, "v.tsv": data],
                    arguments: ["train", "--data", "d.tsv", "--validation", "v.tsv", "--output", "v.tsv"], status: 1,
                    firstLine: "Error: --output v.tsv: it is the same file as --validation v.tsv;", unchanged: ["v.tsv"]),
        HostileCase(name: "train --output = --test", files: ["d.tsv": data, "t.tsv": data],
                    arguments: ["train", "--data", "d.tsv", "--test", "t.tsv", "--output", "t.tsv"], status: 1,
                    firstLine: "Error: --output t.tsv: it is the same file as --test t.tsv;", unchanged: ["t.tsv"]),
        HostileCase(name: "train --output a hard link to --data", files: ["d.tsv": data],
                    setup: { try hardLink($0, "h.tsv", to: "d.tsv") },
                    arguments: ["train", "--data", "d.tsv", "--output", "h.tsv"], status: 1,
                    firstLine: "Error: --output h.tsv: it is the same file as --data d.tsv;", unchanged: ["d.tsv"]),
        HostileCase(name: "train --output a symbolic link to --data", files: ["d.tsv": data],
                    setup: { try link($0, "s.tsv", to: "d.tsv") },
                    arguments: ["train", "--data", "d.tsv", "--output", "s.tsv"], status: 1,
                    firstLine: "Error: --output s.tsv: it is the same file as --data d.tsv;", unchanged: ["d.tsv"]),
        HostileCase(name: "train --data a symbolic link to --output", files: ["d.tsv": data],
                    setup: { try link($0, "s.tsv", to: "d.tsv") },
                    arguments: ["train", "--data", "s.tsv", "--output", "d.tsv"], status: 1,
                    firstLine: "Error: --output d.tsv: it is the same file as --data s.tsv;", unchanged: ["d.tsv"]),
        HostileCase(name: "train --output = the checkpoint file",
                    arguments: ["train", "--epochs", "2", "--checkpoint-dir", "ck", "--output", "ck/checkpoint.safetensors"],
                    status: 1, firstLine: "Error: --output ck/checkpoint.safetensors: it is the file --checkpoint-dir writes",
                    unchanged: ["ck/checkpoint.safetensors"]),
        HostileCase(name: "train --checkpoint-dir's file = --data", files: ["ck/checkpoint.safetensors": data],
                    arguments: ["train", "--data", "ck/checkpoint.safetensors", "--checkpoint-dir", "ck"], status: 1,
                    firstLine: "Error: --checkpoint-dir ck/checkpoint.safetensors: it is the same file as --data",
                    unchanged: ["ck/checkpoint.safetensors"]),
        HostileCase(name: "train-lm --output = --text", files: ["t.txt": "some text to learn\n"],
                    arguments: ["train-lm", "--text", "t.txt", "--output", "t.txt"], status: 1,
                    firstLine: "Error: --output t.txt: it is the same file as --text t.txt;", unchanged: ["t.txt"]),
        HostileCase(name: "train-lm --output a symbolic link to --text", files: ["t.txt": "some text to learn\n"],
                    setup: { try link($0, "lm.safetensors", to: $0.appendingPathComponent("t.txt").path) },
                    arguments: ["train-lm", "--text", "t.txt", "--output", "lm.safetensors"], status: 1,
                    firstLine: "Error: --output lm.safetensors: it is the same file as --text t.txt;", unchanged: ["t.txt"]),
        HostileCase(name: "train-lm --output = the checkpoint file", files: ["t.txt": "some text to learn\n"],
                    arguments: ["train-lm", "--text", "t.txt", "--checkpoint-dir", ".", "--output", "checkpoint.safetensors"],
                    status: 1, firstLine: "Error: --output checkpoint.safetensors: it is the file --checkpoint-dir writes"),
        HostileCase(name: "import --output = --config", files: importFiles,
                    arguments: importArguments + ["--output", "c.json"], status: 1,
                    firstLine: "Error: --output c.json: it is the same file as --config c.json;", unchanged: ["c.json"]),
        HostileCase(name: "import --output = --weights", files: importFiles,
                    arguments: importArguments + ["--output", "w.safetensors"], status: 1,
                    firstLine: "Error: --output w.safetensors: it is the same file as --weights w.safetensors;",
                    unchanged: ["w.safetensors"]),
        HostileCase(name: "import --output = --vocabulary", files: importFiles,
                    arguments: importArguments + ["--output", "v.txt"], status: 1,
                    firstLine: "Error: --output v.txt: it is the same file as --vocabulary v.txt;", unchanged: ["v.txt"]),
        HostileCase(name: "import --output = --labels", files: importFiles,
                    arguments: importArguments + ["--output", "l.json"], status: 1,
                    firstLine: "Error: --output l.json: it is the same file as --labels l.json;", unchanged: ["l.json"]),
        // Outputs that are not regular, writable files.
        HostileCase(name: "train --output a device node", setup: { try makeDevice($0.appendingPathComponent("null").path) },
                    arguments: ["train", "--epochs", "2", "--output", "null"], status: 1,
                    firstLine: "Error: --output null: \(notRegular)"),
        HostileCase(name: "import --output a device node", files: importFiles,
                    setup: { try makeDevice($0.appendingPathComponent("null").path) },
                    arguments: importArguments + ["--output", "null"], status: 1,
                    firstLine: "Error: --output null: \(notRegular)"),
        HostileCase(name: "train-lm --output a symbolic link to a device node", files: ["t.txt": "some text\n"],
                    setup: { try makeDevice($0.appendingPathComponent("null").path); try link($0, "lm", to: "null") },
                    arguments: ["train-lm", "--text", "t.txt", "--output", "lm"], status: 1,
                    firstLine: "Error: --output lm: \(notRegular)"),
        HostileCase(name: "train --output a FIFO", setup: { try makeFIFO($0.appendingPathComponent("f").path) },
                    arguments: ["train", "--epochs", "2", "--output", "f"], status: 1,
                    firstLine: "Error: --output f: it is a FIFO (named pipe), not a regular file"),
        HostileCase(name: "train --output a folder",
                    setup: { try FileManager.default.createDirectory(at: $0.appendingPathComponent("m"), withIntermediateDirectories: false) },
                    arguments: ["train", "--epochs", "2", "--output", "m"], status: 1,
                    firstLine: "Error: --output m: it is a folder, not a regular file"),
        HostileCase(name: "train --output a read-only file", files: ["ro.safetensors": "keep me"],
                    setup: { chmod($0.appendingPathComponent("ro.safetensors").path, 0o444) },
                    arguments: ["train", "--epochs", "2", "--output", "ro.safetensors"], status: 1,
                    firstLine: "Error: --output ro.safetensors: the file is read-only", unchanged: ["ro.safetensors"]),
        HostileCase(name: "train --checkpoint-dir whose checkpoint is a FIFO",
                    setup: {
                        try FileManager.default.createDirectory(at: $0.appendingPathComponent("ck"), withIntermediateDirectories: false)
                        try makeFIFO($0.appendingPathComponent("ck/checkpoint.safetensors").path)
                    },
                    arguments: ["train", "--epochs", "2", "--checkpoint-dir", "ck"], status: 1,
                    firstLine: "Error: --checkpoint-dir ck/checkpoint.safetensors: it is a FIFO"),
        HostileCase(name: "train --checkpoint-dir a file", files: ["f": "keep"],
                    arguments: ["train", "--epochs", "2", "--checkpoint-dir", "f"], status: 1,
                    firstLine: "Error: --checkpoint-dir f: it is a file, not a folder.", unchanged: ["f"]),
        HostileCase(name: "train --checkpoint-dir inside a file", files: ["f": "keep"],
                    arguments: ["train", "--epochs", "2", "--checkpoint-dir", "f/ck"], status: 1,
                    firstLine: "Error: --checkpoint-dir f/ck: cannot create the folder (Not a directory).", unchanged: ["f"]),
        HostileCase(name: "train --output in a missing folder",
                    arguments: ["train", "--epochs", "100000", "--output", "missing/m.safetensors"], status: 1,
                    firstLine: "Error: --output missing/m.safetensors: the folder missing does not exist."),
        HostileCase(name: "train --output a loop of symbolic links",
                    setup: { try link($0, "a", to: "b"); try link($0, "b", to: "a") },
                    arguments: ["train", "--epochs", "2", "--output", "a"], status: 1,
                    firstLine: "Error: --output a: its symbolic links never end in a file"),
        // A temporary file left by a dead process (kill -9) is removed by the next save to its target.
        HostileCase(name: "stale temporary file of a dead process",
                    files: [".m.safetensors.tmp-99999999-12345": "half a model"],
                    arguments: ["train", "--epochs", "2", "--quiet", "--output", "m.safetensors"], status: 0,
                    firstLine: "18 unique words found"),
    ]

    @Test("Output files", arguments: cases)
    func outputFile(_ c: HostileCase) throws {
        try c.check()
    }

    /// A scratch folder for the tests that look at files after the run.
    private func scratch() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test("A symbolic --output is followed: its target gets the model and the link stays")
    func symbolicLinkFollowed() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("runs"), withIntermediateDirectories: false)
        try Data("old".utf8).write(to: folder.appendingPathComponent("runs/model.safetensors"))
        try link(folder, "latest.safetensors", to: "runs/model.safetensors")
        let run = try CLI.run(["train", "--epochs", "2", "--quiet", "--output", "latest.safetensors"], in: folder)
        #expect(run.exited && run.status == 0, "\(run)")
        let destination = try FileManager.default.destinationOfSymbolicLink(atPath: folder.appendingPathComponent("latest.safetensors").path)
        #expect(destination == "runs/model.safetensors")
        let saved = try Data(contentsOf: folder.appendingPathComponent("runs/model.safetensors"))
        #expect(saved.count > 1000 && completeSafetensors(saved), "the link's target does not hold the new model")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("runs").path) == ["model.safetensors"])
        // A dangling link is followed too: the model is made where it points.
        try link(folder, "next.safetensors", to: "runs/next.safetensors")
        let again = try CLI.run(["train", "--epochs", "2", "--quiet", "--output", "next.safetensors"], in: folder)
        #expect(again.exited && again.status == 0, "\(again)")
        #expect(completeSafetensors(try Data(contentsOf: folder.appendingPathComponent("runs/next.safetensors"))))
    }

    @Test("An output that cannot be written is refused before any work: nothing trained, nothing printed")
    func checkedBeforeWork() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(data.utf8).write(to: folder.appendingPathComponent("d.tsv"))
        for arguments in [["train", "--epochs", "100000", "--output", "d.tsv", "--data", "d.tsv"],
                          ["train", "--epochs", "100000", "--output", "missing/m.safetensors"],
                          ["train-lm", "--text", "d.tsv", "--epochs", "100000", "--output", "d.tsv"]] {
            let run = try CLI.run(arguments, in: folder)
            #expect(run.exited && run.status == 1 && run.stdout.isEmpty && run.stderr.hasPrefix("Error: --output "),
                    "rnn \(arguments.joined(separator: " ")): \(run)")
        }
        #expect(try Data(contentsOf: folder.appendingPathComponent("d.tsv")) == Data(data.utf8))
    }

    @Test("A temporary file of a live process is not taken for a stale one")
    func liveTemporaryKept() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let live = folder.appendingPathComponent(".m.safetensors.tmp-\(getpid())-1")
        try Data("being written".utf8).write(to: live)
        let run = try CLI.run(["train", "--epochs", "2", "--quiet", "--output", "m.safetensors"], in: folder)
        #expect(run.exited && run.status == 0, "\(run)")
        #expect(FileManager.default.fileExists(atPath: live.path), "a live process's temporary file was removed")
    }

    /// 40 runs of `rnn train --epochs 300 --checkpoint-dir ck --output m.safetensors` (a checkpoint
    /// saved after every epoch, about 1.5 s in all), each stopped by SIGINT, SIGTERM or SIGHUP after a
    /// random delay: none may leave a temporary file, each must end as the signal says, and the
    /// model and checkpoint must each be absent or complete.
    @Test("A save interrupted by SIGINT, SIGTERM or SIGHUP leaves no temporary file and the target whole")
    func killDuringSave() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let executable = try CLI.productsDirectory().appendingPathComponent("rnn")
        let model = folder.appendingPathComponent("m.safetensors"), checkpoint = folder.appendingPathComponent("ck/checkpoint.safetensors")
        let first = try CLI.run(["train", "--epochs", "2", "--quiet", "--output", "m.safetensors"], in: folder)
        try #require(first.exited && first.status == 0, "\(first)")
        var generator = SystemRandomNumberGenerator()
        var killed = 0
        for k in 0..<40 {
            let sig = [SIGINT, SIGTERM, SIGHUP][k % 3]
            let pid = try spawn(executable.path, ["train", "--epochs", "300", "--checkpoint-dir", folder.appendingPathComponent("ck").path,
                                                  "--output", model.path])
            usleep(UInt32.random(in: 20_000...900_000, using: &generator))
            kill(pid, sig)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let signalled = status & 0x7f != 0 && status & 0x7f != 0x7f, number = status & 0x7f, code = (status >> 8) & 0xff
            if signalled {
                killed += 1
                #expect(number == sig, "run \(k): ended by signal \(number), not \(sig)")
            } else {
                #expect(code == 0, "run \(k): exit \(code)")
            }
            let names = try FileManager.default.subpathsOfDirectory(atPath: folder.path)
            #expect(!names.contains { $0.contains(".tmp-") }, "run \(k) (signal \(sig)) left temporary files: \(names)")
            #expect(completeSafetensors(try Data(contentsOf: model)), "run \(k): m.safetensors is not a complete model")
            if let saved = try? Data(contentsOf: checkpoint) {
                #expect(completeSafetensors(saved), "run \(k): the checkpoint is not complete")
            }
        }
        // Most runs must really have been stopped, or the loop tested nothing.
        #expect(killed >= 30, "only \(killed) of 40 runs were stopped by the signal")
    }
}

/// Starts `path` with `arguments`, output discarded, with SIGINT, SIGTERM and SIGHUP unblocked and
/// at their default action whatever this test process does with them (a child inherits both the
/// signal mask and ignored signals, and Foundation's `Process` cannot reset them).
private func spawn(_ path: String, _ arguments: [String]) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t(), defaults = sigset_t()
    sigemptyset(&none)
    sigemptyset(&defaults)
    for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&defaults, sig) }
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
    guard result == 0 else { throw SetupFailed(description: "cannot start \(path): \(String(cString: strerror(result)))") }
    return pid
}

/// Whether `bytes` is a whole safetensors file: its header parses and its data ends where the
/// header's last offset says.
private func completeSafetensors(_ bytes: Data) -> Bool {
    guard bytes.count >= 8 else { return false }
    let n = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    guard n > 0, 8 + n <= bytes.count,
          let header = try? JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + n))) as? [String: Any] else { return false }
    let end = header.values.compactMap { ($0 as? [String: Any])?["data_offsets"] as? [Int] }.map { $0[1] }.max() ?? 0
    return bytes.count == 8 + n + end
}
