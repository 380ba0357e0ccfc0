import ArgumentParser
import Foundation
import RNNKit

/// Writes to standard error (warnings and errors never mix with results on stdout).
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// A number of tokens per second as 3.1M, 850k or 920.
func formatRate(_ rate: Double) -> String {
    if rate >= 1e6 { return String(format: "%.1fM", rate / 1e6) }
    if rate >= 1e3 { return String(format: "%.0fk", rate / 1e3) }
    return String(format: "%.0f", rate)
}

/// Any library error, shown as `Error: <what is wrong>` with exit code 1.
struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
    init(_ error: Error) { self.description = String(describing: error) }
}

extension ParsableCommand {
    /// Runs `body`, turning RNNKit's errors into clear one-line messages.
    func reportingErrors<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as ValidationError { throw e } catch let e as CommandError {
            throw e
        } catch { throw CommandError(error) }
    }
}
