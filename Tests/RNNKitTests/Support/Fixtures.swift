import Foundation
import Testing

/// Where the test material lives, and loading it.
///
/// Fixtures are the test target's resources, `Tests/RNNKitTests/Fixtures/{seed,torch}/` (written by
/// `scripts/fixtures/`). `$RNNKIT_FIXTURES=DIR` adds the `*.json` of `DIR/seed` and `DIR/torch` to them,
/// to check more cases without committing them. Data files are the repository's `data/` folder.
/// Missing material is an error, never a skip: a test that silently ran nothing would pass on a
/// machine where nothing was checked.
enum Fixtures {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// The package root: this file is `<root>/Tests/RNNKitTests/Support/Fixtures.swift`.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // RNNKitTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // <root>

    /// The committed fixtures, as copied into the test bundle (`resources: [.copy("Fixtures")]`).
    static var bundled: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
                throw Missing(description: "the test bundle holds no Fixtures folder (Package.swift copies Tests/RNNKitTests/Fixtures; rebuild the tests).")
            }
            return url
        }
    }

    /// `$RNNKIT_FIXTURES`, when set and not empty.
    static var extra: URL? {
        guard let env = ProcessInfo.processInfo.environment["RNNKIT_FIXTURES"], !env.isEmpty else { return nil }
        return URL(fileURLWithPath: env, isDirectory: true).standardizedFileURL
    }

    /// `<root>/data`: the repository's data files (`tutorial/train.tsv`, `movie/train.tsv`, …).
    static var dataRoot: URL {
        packageRoot.appendingPathComponent("data", isDirectory: true)
    }

    /// The `*.json` files of a fixture subfolder (`seed`, `torch`): the bundled ones sorted by name,
    /// then those of `extra/<subfolder>` sorted by name.
    /// - Throws: `Missing` when the bundled folder is missing or holds no `*.json` file; when `extra`
    ///   is given but holds neither `seed/` nor `torch/`; when `extra/<subfolder>` exists without a
    ///   `*.json` file.
    static func jsonFiles(in subfolder: String, extra: URL? = Fixtures.extra) throws -> [URL] {
        var files = try jsonFiles(at: bundled.appendingPathComponent(subfolder, isDirectory: true),
                                  source: "the committed fixtures")
        if let extra {
            let source = "RNNKIT_FIXTURES=\(extra.path)"
            guard ["seed", "torch"].contains(where: { isDirectory(extra.appendingPathComponent($0)) }) else {
                throw Missing(description: "\(source) holds neither a seed/ nor a torch/ folder; point it at a folder that does, or unset it.")
            }
            let directory = extra.appendingPathComponent(subfolder, isDirectory: true)
            if isDirectory(directory) { files += try jsonFiles(at: directory, source: source) }
        }
        return files
    }

    private static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    private static func jsonFiles(at directory: URL, source: String) throws -> [URL] {
        guard isDirectory(directory) else {
            throw Missing(description: "fixture folder \(directory.path) does not exist (\(source)).")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        let files = names.filter { $0.hasSuffix(".json") }.sorted().map { directory.appendingPathComponent($0) }
        guard !files.isEmpty else {
            throw Missing(description: "fixture folder \(directory.path) holds no *.json file (\(source)).")
        }
        return files
    }

    /// A data file of the repository, e.g. `dataFile("tutorial/train.tsv")`.
    /// - Throws: `Missing` when it does not exist.
    static func dataFile(_ relativePath: String) throws -> URL {
        let url = dataRoot.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw Missing(description: "data file \(url.path) does not exist (the repository's data/ folder is incomplete).")
        }
        return url
    }

    /// The top-level JSON object of a fixture file.
    static func object(at url: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Missing(description: "\(url.lastPathComponent): the top level is not a JSON object.")
        }
        return object
    }
}

/// A fresh empty folder under the system temporary directory; the caller removes it.
func makeScratchDirectory(_ name: String = #function) throws -> URL {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("rnnkit-tests-\(safe)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

// MARK: - Reading JSON values

/// A numeric JSON value of any nesting (number, list of numbers, list of lists …), flattened
/// row-major, with its shape.
struct NumericArray: CustomStringConvertible {
    var shape: [Int]
    var values: [Double]

    init(shape: [Int], values: [Double]) {
        self.shape = shape
        self.values = values
    }

    /// - Throws: when `json` is not a rectangular nesting of numbers.
    init(json: Any, name: String) throws {
        func flatten(_ value: Any, depth: Int, shape: inout [Int], out: inout [Double]) throws {
            if let list = value as? [Any] {
                if depth == shape.count { shape.append(list.count) }
                guard shape[depth] == list.count else {
                    throw Fixtures.Missing(description: "`\(name)` is ragged: \(list.count) items at depth \(depth), expected \(shape[depth]).")
                }
                for item in list { try flatten(item, depth: depth + 1, shape: &shape, out: &out) }
            } else if let number = value as? NSNumber {
                guard depth == shape.count else {
                    throw Fixtures.Missing(description: "`\(name)` mixes numbers and lists.")
                }
                out.append(number.doubleValue)
            } else {
                throw Fixtures.Missing(description: "`\(name)` holds a non-number: \(value).")
            }
        }
        var shape: [Int] = [], values: [Double] = []
        try flatten(json, depth: 0, shape: &shape, out: &values)
        self.shape = shape
        self.values = values
    }

    var description: String { "\(shape) \(values.prefix(4))…" }
}

extension Dictionary where Key == String, Value == Any {
    /// A required field, typed.
    func field<T>(_ key: String, as: T.Type = T.self, in file: String) throws -> T {
        guard let raw = self[key] else { throw Fixtures.Missing(description: "\(file): missing field `\(key)`.") }
        guard let value = raw as? T else {
            throw Fixtures.Missing(description: "\(file): field `\(key)` is \(type(of: raw)), expected \(T.self).")
        }
        return value
    }

    func numbers(_ key: String, in file: String) throws -> NumericArray {
        try NumericArray(json: field(key, as: Any.self, in: file), name: "\(file): \(key)")
    }

    func double(_ key: String, in file: String) throws -> Double {
        try field(key, as: NSNumber.self, in: file).doubleValue
    }

    func int(_ key: String, in file: String) throws -> Int {
        try field(key, as: NSNumber.self, in: file).intValue
    }
}

// MARK: - Tolerances

/// The largest difference between two arrays, measured as |a − e| / max(1, |e|) when `relativeAbove`
/// is 1 (absolute for small values, relative for values above 1), and where it is.
struct Difference: CustomStringConvertible {
    var index: Int
    var actual: Double
    var expected: Double
    var error: Double
    var shape: [Int]

    /// The index as (row, column, …) for a shaped array.
    var position: String {
        guard shape.count > 1 else { return "[\(index)]" }
        var rest = index, parts: [Int] = []
        for d in shape.reversed() { parts.append(rest % d); rest /= d }
        return "(" + parts.reversed().map(String.init).joined(separator: ", ") + ")"
    }

    var description: String {
        "largest difference \(error) at \(position): actual \(actual), expected \(expected)"
    }
}

/// The largest scaled difference of `actual` from `expected`: each element's |a − e| divided by
/// max(`relativeAbove`, |e|), so it is absolute below `relativeAbove` and relative above.
/// Returns nil for empty arrays; a NaN anywhere counts as an infinite difference.
func largestDifference<A: BinaryFloatingPoint, E: BinaryFloatingPoint>(
    _ actual: [A], _ expected: [E], relativeAbove: Double = 1, shape: [Int] = []
) -> Difference? {
    precondition(actual.count == expected.count)
    var worst: Difference?
    for k in actual.indices {
        let a = Double(actual[k]), e = Double(expected[k])
        var error = abs(a - e) / max(relativeAbove, abs(e))
        if error.isNaN { error = a.isNaN && e.isNaN ? 0 : .infinity }
        if a == e { error = 0 }  // equal infinities
        if worst == nil || error > worst!.error {
            worst = Difference(index: k, actual: a, expected: e, error: error, shape: shape)
        }
    }
    return worst
}

/// Records an issue naming the largest difference (and where it is) when `actual` and `expected`
/// differ by more than `tolerance` (absolute below `relativeAbove`, relative above it), or when
/// their sizes differ. Returns whether they agree.
@discardableResult
func expectClose<A: BinaryFloatingPoint, E: BinaryFloatingPoint>(
    _ actual: [A], _ expected: [E], tolerance: Double, relativeAbove: Double = 1, shape: [Int] = [],
    _ what: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    guard actual.count == expected.count else {
        Issue.record("\(what()): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return false
    }
    guard let d = largestDifference(actual, expected, relativeAbove: relativeAbove, shape: shape) else { return true }
    guard d.error <= tolerance else {
        Issue.record("\(what()): \(d) (tolerance \(tolerance), relative above \(relativeAbove))",
                     sourceLocation: sourceLocation)
        return false
    }
    return true
}

/// The scalar form of `expectClose`.
@discardableResult
func expectClose<A: BinaryFloatingPoint, E: BinaryFloatingPoint>(
    _ actual: A, _ expected: E, tolerance: Double, relativeAbove: Double = 1,
    _ what: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
) -> Bool {
    expectClose([actual], [expected], tolerance: tolerance, relativeAbove: relativeAbove, what(),
                sourceLocation: sourceLocation)
}

/// Relative error for gradient checks: |a − b| / max(|a|, |b|, floor).
func relativeError(_ a: Double, _ b: Double, floor: Double = 1e-8) -> Double {
    abs(a - b) / max(abs(a), abs(b), floor)
}
