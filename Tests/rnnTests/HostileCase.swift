import Foundation
import Testing

// The hostile-input probe kept as a table: each case makes its files in a fresh folder, runs `rnn`
// there, and checks the exit status, the first line of what it printed, that it did not crash or
// show Swift internals, that the files it must not touch are byte for byte as they were, and that
// no temporary file of an atomic write is left behind. Tables: Hostile*Tests.swift.

/// One case of the probe.
struct HostileCase: CustomTestStringConvertible, Sendable {
    /// Short and unique: it names the case in test output.
    var name: String
    /// Files to make (relative path → contents) before `setup` runs.
    var files: [String: String] = [:]
    /// More preparation in the case's folder (links, devices, permissions, models…).
    var setup: @Sendable (_ folder: URL) throws -> Void = { _ in }
    /// The command's arguments; `$DIR` stands for the case's folder.
    var arguments: [String]
    var stdin: String = ""
    /// Variables added to the environment `rnn` runs in.
    var environment: [String: String] = [:]
    /// The exit status it must give.
    var status: Int32
    /// What the first line of standard error (or, with status 0 and nothing on standard error,
    /// standard output) must start with.
    var firstLine: String
    /// Relative paths that must be unchanged afterwards (or still absent).
    var unchanged: [String] = []

    var testDescription: String { name }

    /// What no message may contain: Swift internals, build paths, crash reports.
    static let internals = ["Fatal error", "DecodingError", "Swift.", "CodingKeys", "Cannot initialize",
                            "The given data was not valid JSON", "/Sources/", ".swift:", "Backtrace", "💣"]

    /// Runs the case and checks everything above; returns the run for further checks.
    @discardableResult
    func check(sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer {
            // Restore write permission everywhere so the folder can be removed.
            _ = try? FileManager.default.subpathsOfDirectory(atPath: folder.path).map {
                chmod(folder.appendingPathComponent($0).path, 0o755)
            }
            try? FileManager.default.removeItem(at: folder)
        }
        for (path, contents) in files {
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents.utf8).write(to: url)
        }
        try setup(folder)
        func snapshot(_ path: String) -> Data? { try? Data(contentsOf: folder.appendingPathComponent(path)) }
        let before = unchanged.map(snapshot)
        let run = try CLI.run(arguments.map { $0.replacingOccurrences(of: "$DIR", with: folder.path) },
                              input: stdin, in: folder, environment: environment)
        let what = "case \(name): rnn \(arguments.joined(separator: " "))"
        #expect(run.exited, "\(what): died of a signal\n\(run)", sourceLocation: sourceLocation)
        #expect(run.status == status, "\(what): exit \(run.status), not \(status)\n\(run)", sourceLocation: sourceLocation)
        let errLines = run.stderr.split(separator: "\n").map(String.init)
        let first = (status == 0 && errLines.isEmpty ? run.lines.first : errLines.first) ?? ""
        #expect(first.hasPrefix(firstLine), "\(what): first line «\(first)», not «\(firstLine)…»\n\(run)",
                sourceLocation: sourceLocation)
        for word in Self.internals where run.stderr.contains(word) || run.stdout.contains(word) {
            Issue.record("\(what): output shows «\(word)»\n\(run)", sourceLocation: sourceLocation)
        }
        for (path, old) in zip(unchanged, before) where snapshot(path) != old {
            Issue.record("\(what): \(path) was changed", sourceLocation: sourceLocation)
        }
        let left = (FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? [])
            .filter { ($0 as NSString).lastPathComponent.contains(".tmp-") }
        #expect(left.isEmpty, "\(what): temporary files left behind: \(left)", sourceLocation: sourceLocation)
        return run
    }
}
