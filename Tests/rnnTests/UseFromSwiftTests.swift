import Foundation
import Testing

/// The README's "Use from Swift" code is `Examples/UseFromSwift/main.swift`, word for word; this
/// suite checks that, and runs the example as a user would (from a folder holding `data/`).
@Suite("Use from Swift")
struct UseFromSwiftTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The example's code, without its leading comment lines (the README introduces it instead).
    static func exampleCode() throws -> String {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("Examples/UseFromSwift/main.swift"), encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .drop { $0.hasPrefix("//") }.joined(separator: "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("The README shows the example's code exactly")
    func readmeMatches() throws {
        let readme = try String(contentsOf: Self.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let blocks = readme.components(separatedBy: "```swift\n").dropFirst()
            .map { $0.components(separatedBy: "\n```")[0].trimmingCharacters(in: .whitespacesAndNewlines) }
        let code = try Self.exampleCode()
        #expect(blocks.contains(code), "no ```swift block of README.md is Examples/UseFromSwift/main.swift's code")
    }

    @Test("The example trains, evaluates, saves, loads and generates")
    func runs() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-example-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        try FileManager.default.createSymbolicLink(at: scratch.appendingPathComponent("data"),
                                                   withDestinationURL: Self.packageRoot.appendingPathComponent("data"))
        let run = try CLI.run([], executable: "UseFromSwift", in: scratch)
        #expect(run.exited && run.status == 0, "\(run)")
        let lines = run.lines
        #expect(lines.first?.hasPrefix("positive [") == true, "\(run)")
        let accuracy = lines.first { $0.hasPrefix("test accuracy ") }.flatMap { Double($0.dropFirst(14)) }
        #expect((accuracy ?? 0) > 0.65, "two epochs on the movie sentences should beat chance clearly: \(run)")
        #expect(lines.count >= 4 && ["positive", "negative"].contains(lines[2]), "\(run)")
        #expect(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("movie.safetensors").path))
        // Then the 100 generated characters (the prompt is not repeated) and a newline.
        let generated = run.stdout.split(separator: "\n", maxSplits: 3, omittingEmptySubsequences: false).last ?? ""
        #expect(generated.unicodeScalars.count == 101, "\(run)")
    }
}
