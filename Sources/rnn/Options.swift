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
    init(_ error: Error) {
        if let error = error as? DataFileError {
            self.description = error.commandLineDescription
        } else {
            self.description = [String(describing: error), commandHint(for: error)].compactMap { $0 }.joined(separator: " ")
        }
    }
}

extension ParsableCommand {
    /// Runs `body`, turning RNNKit's errors into clear one-line messages.
    func reportingErrors<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as ValidationError { throw e } catch let e as CommandError {
            throw e
        } catch let e as ExitCode { throw e } catch let e as DistributedError where e.everyRank {
            throw e  // TrainingRanks ends every rank in order on it
        } catch { throw CommandError(error) }
    }
}

/// How to read a data file: shared by `train`, `evaluate`, `predict` (and the test/validation files).
struct DataOptions: ParsableArguments {
    @Option(help: "File format: csv, tsv or jsonl (default: from the file's extension).")
    var format: DataFileFormat?

    @Flag(help: "The files have no header row; name columns by 1-based index.")
    var noHeader = false

    @Option(help: "The text column: a header name, or a 1-based index. (default: text)")
    var textColumn: String?

    @Option(help: "The label column: a header name, or a 1-based index. (default: label)")
    var labelColumn: String?

    @Option(help: "Numeric labels: above T → positive, below → negative, equal → dropped.",
            transform: { text in
                // The rule the labels follow: a threshold of 0x10 or 1e400 would be read, and mean nothing.
                guard let value = DataFileOptions.number(from: text) else {
                    throw ValidationError("--threshold must be \(DataFileOptions.numberRule); got `\(text)`.")
                }
                return value
            })
    var threshold: Double?

    @Flag(help: "Skip invalid rows (reporting how many and where) instead of stopping at the first.")
    var skipInvalid = false

    func validate() throws {
        for (name, value) in [("--text-column", textColumn), ("--label-column", labelColumn)] {
            guard let value else { continue }
            if value.isEmpty { throw ValidationError("\(name) must name a column or give its 1-based index.") }
            if let n = Int(value), n < 1 { throw ValidationError("\(name) indexes start at 1 (got \(n)).") }
        }
        if noHeader, Int(textColumn ?? "text") == nil {
            throw ValidationError("--no-header needs column indexes: e.g. --text-column 3 --label-column 2.")
        }
    }

    /// The flags as the library's options.
    var readerOptions: DataFileOptions {
        DataFileOptions(format: format, hasHeader: !noHeader, textColumn: ColumnSelector(parsing: textColumn ?? "text"),
                        labelColumn: ColumnSelector(parsing: labelColumn ?? "label"), threshold: threshold, skipInvalid: skipInvalid)
    }

    /// The flags given on the command line (for refusing them where they do not apply).
    var givenFlags: [String] {
        [("--format", format != nil), ("--no-header", noHeader), ("--text-column", textColumn != nil),
         ("--label-column", labelColumn != nil), ("--threshold", threshold != nil), ("--skip-invalid", skipInvalid)]
            .filter(\.1).map(\.0)
    }

    /// Reads `path` (its texts alone unless `readsLabels`), printing what was skipped or dropped to
    /// stderr and, for `training` data, a warning when numeric labels make many classes.
    func read(_ path: String, readsLabels: Bool = true, training: Bool = false) throws -> [LabeledText] {
        var options = readerOptions
        options.readsLabels = readsLabels
        let contents = try LabeledTextSource.file(path, options: options).read()
        if contents.skippedRows > 0 {
            printError("warning: \(path): skipped \(contents.skippedRows) invalid row(s):")
            for e in contents.firstSkipped { printError("  \(e.commandLineDescription)") }
        }
        if contents.droppedAtThreshold > 0 {
            printError("note: \(path): dropped \(contents.droppedAtThreshold) row(s) whose score equals the threshold \(threshold!).")
        }
        if training, let numeric = contents.numericLabels, numeric.looksLikeScores {
            printError("warning: \(path): every label is a number, so its \(numeric.distinctCount) different values make \(numeric.distinctCount) classes. "
                       + "If they are scores or ratings, pass --threshold T to make two classes (above T positive, below negative).")
        }
        return contents.examples
    }
}

extension DataFileFormat: ExpressibleByArgument {}

extension DataFileError {
    /// The error as `rnn` shows it: where, what is wrong, and each remedy as the flags that apply it.
    var commandLineDescription: String {
        ([location + ": " + detail] + remedies.map(\.commandLineHint)).joined(separator: " ")
    }
}

extension DataFileError.Remedy {
    /// The remedy in terms of `DataOptions`' flags.
    var commandLineHint: String {
        func flag(_ role: DataFileOptions.Role) -> String { "--\(role)-column" }
        switch self {
        case .setFormat(nil):
            return "Pass --format csv|tsv|jsonl."
        case .setFormat(let format?):
            return "If this is a \(format.rawValue.uppercased()) file, pass --format \(format.rawValue)."
        case .selectColumn(let role):
            return "Pass \(flag(role)) with one of the header's names or a column number."
        case .selectColumnByNumber(let role, let example):
            return "Give the \(role) column's number instead, e.g. \(flag(role)) \(example)."
        case .selectKey(let role):
            return "Pass \(flag(role)) with the key that holds the \(role) (e.g. \(flag(role)) \(role))."
        case .selectDifferentColumns:
            return "--text-column and --label-column must name different columns."
        case .readWithoutHeader(let line):
            return "If line \(line) is an example rather than a header, use --no-header and give column numbers (e.g. --text-column 2 --label-column 1)."
        case .thresholdNumber:
            return "--threshold needs a number such as 0 or 2.5."
        case .numericLabelsOrNoThreshold:
            return "--threshold needs numeric labels: fix the label, or leave out --threshold to keep labels as text."
        case .thresholdBetweenLabels:
            return "Choose a --threshold between the labels' values."
        case .skipInvalidRows:
            return "To skip invalid rows instead, pass --skip-invalid."
        }
    }
}

/// `--cell`: the recurrent cell, with `--nonlinearity` choosing the vanilla RNN's activation.
enum CellChoice: String, ExpressibleByArgument, CaseIterable {
    case rnn, lstm, gru

    func kind(nonlinearity: Nonlinearity) -> CellKind {
        switch self {
        case .rnn: return nonlinearity == .relu ? .rnnRelu : .rnnTanh
        case .lstm: return .lstm
        case .gru: return .gru
        }
    }
}

enum Nonlinearity: String, ExpressibleByArgument, CaseIterable { case tanh, relu }

enum InputChoice: String, ExpressibleByArgument, CaseIterable {
    case embedding
    case oneHot = "one-hot"
}

enum LevelChoice: String, ExpressibleByArgument, CaseIterable { case word, char }
extension OptimizerKind: ExpressibleByArgument {}
extension ClassifierConfiguration.Pooling: ExpressibleByArgument {}
extension BackwardRule: ExpressibleByArgument {}

/// Whether standard output is a terminal (live progress) or a file/pipe (one line per epoch).
/// Never under an MPI launcher: mpirun gives its ranks a pseudo-terminal whatever its own output
/// is, and a log file would fill with live progress lines.
var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) != 0 && MPILaunch.detect() == nil }

/// Standard output for progress: whole lines, or (on a terminal) one live line redrawn in place
/// with \r. Written unbuffered, so a live line appears at once and lines never interleave out of
/// order with the live one.
final class ProgressOutput {
    let quiet: Bool
    private var liveShown = false

    init(quiet: Bool) { self.quiet = quiet }

    func line(_ text: String) {
        guard !quiet else { return }
        write((liveShown ? "\r\u{1B}[K" : "") + text + "\n")
        liveShown = false
    }

    func live(_ text: String) {
        guard !quiet else { return }
        write("\r\u{1B}[K" + text)
        liveShown = true
    }

    func clearLive() {
        guard liveShown else { return }
        write("\r\u{1B}[K")
        liveShown = false
    }

    func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// A duration as 2.5s, 3m10s or 1h05m.
func formatDuration(_ seconds: Double) -> String {
    if seconds < 60 { return String(format: "%.1fs", seconds) }
    let s = Int(seconds.rounded())
    if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
    return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
}

/// Where a training run keeps its complete state, and whether to continue from it: shared by
/// `train` and `train-lm`.
struct CheckpointOptions: ParsableArguments {
    @Option(help: "Save the complete training state here after every epoch (and where --max-time stops a run).")
    var checkpointDir: String?

    @Flag(help: "Continue from the checkpoint in --checkpoint-dir, if there is one.")
    var resume = false

    func validate() throws {
        if resume && checkpointDir == nil { throw ValidationError("--resume needs --checkpoint-dir.") }
    }

    /// The checkpoint file in --checkpoint-dir, creating the folder; nil without the option.
    func checkpointPath() throws -> String? {
        guard let checkpointDir else { return nil }
        func refuse(_ why: String) -> CommandError {
            CommandError("--checkpoint-dir \(checkpointDir): \(why). Choose another --checkpoint-dir.")
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: checkpointDir, isDirectory: &isFolder), !isFolder.boolValue {
            throw refuse("it is a file, not a folder")
        }
        let failure = makeFolders(checkpointDir)
        if failure != 0 { throw refuse("cannot create the folder (\(String(cString: strerror(failure))))") }
        return (checkpointDir as NSString).appendingPathComponent("checkpoint.safetensors")
    }

    /// The flag and checkpoint file for `checkOutputs`, making the folder (nil without the option).
    func checkedOutput() throws -> (flag: String, path: String?) {
        ("--checkpoint-dir", try checkpointPath())
    }
}

/// mkdir -p: 0, or the system's reason (errno) when it fails (Foundation's errors do not always
/// carry it).
func makeFolders(_ folder: String) -> Int32 {
    if mkdir(folder, 0o777) == 0 { return 0 }
    var isFolder: ObjCBool = false
    if errno == EEXIST { return FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) && isFolder.boolValue ? 0 : ENOTDIR }
    guard errno == ENOENT, folder.contains("/") else { return errno }
    let parent = (folder as NSString).deletingLastPathComponent
    let made = parent.isEmpty ? 0 : makeFolders(parent)
    return made != 0 ? made : mkdir(folder, 0o777) == 0 || errno == EEXIST ? 0 : errno
}

/// Reports of a training run: shared by `train` and `train-lm`.
struct ReportOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Write metrics.jsonl (one line per evaluation) and report.html (curves, confusion matrix, model card) to this folder, updated after each evaluation.",
                               valueName: "dir"))
    var report: String?

    @Option(help: ArgumentHelp("Write a TensorBoard event file (scalars; step = epoch) to this folder.", valueName: "dir"))
    var tensorboard: String?

    var metricsPath: String? { report.map { (($0 as NSString).appendingPathComponent("metrics.jsonl")) } }
    var htmlPath: String? { report.map { (($0 as NSString).appendingPathComponent("report.html")) } }

    /// Makes the folders (as mkdir -p) and returns the files for `checkOutputs`: the report's two,
    /// and for --tensorboard a name in its folder (so that the folder is checked for writing; the
    /// event file itself is created new and never written over).
    func checkedOutputs() throws -> [(flag: String, path: String?)] {
        for (flag, folder) in [("--report", report), ("--tensorboard", tensorboard)] {
            guard let folder else { continue }
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), !isFolder.boolValue {
                throw CommandError("\(flag) \(folder): it is a file, not a folder. Choose another \(flag).")
            }
            let failure = makeFolders(folder)
            if failure != 0 {
                throw CommandError("\(flag) \(folder): cannot create the folder (\(String(cString: strerror(failure)))). Choose another \(flag).")
            }
        }
        return [("--report", metricsPath), ("--report", htmlPath),
                ("--tensorboard", tensorboard.map { ($0 as NSString).appendingPathComponent("events.out.tfevents") })]
    }

    /// The writers chosen, made once the data is read (a report of a run that never started is
    /// not left behind); the TensorBoard file is created here.
    func writers(card: TrainingReport.ModelCard, level: TokenLevel?) throws -> ReportWriters {
        ReportWriters(metrics: try metricsPath.map { try MetricsLog(path: $0, level: level) },
                      page: try htmlPath.map { try TrainingReport(path: $0, card: card, level: level) },
                      board: try tensorboard.map { try TensorBoardWriter(directory: $0, level: level) })
    }
}

/// The report writers of a run, fed every training event.
struct ReportWriters {
    var metrics: MetricsLog?
    var page: TrainingReport?
    var board: TensorBoardWriter?

    func record(_ event: TrainingEvent) throws {
        try metrics?.record(event)
        try page?.record(event)
        try board?.record(event)
    }
}

/// How many threads to train and evaluate on: shared by the commands that do heavy work.
struct ThreadOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Threads to use; the same seed, data and thread count give the same model. (default: RNNKIT_THREADS, or every core)",
                               valueName: "n"))
    var threads: Int?

    func validate() throws {
        if let threads, !(1...RNNKitRuntime.maxThreadCount).contains(threads) {
            throw ValidationError("--threads must be between 1 and \(RNNKitRuntime.maxThreadCount) (got \(threads)).")
        }
    }

    /// Makes the choice take effect for the rest of the process.
    func apply() {
        if let threads { try? RNNKitRuntime.setThreadCount(threads) }  // validate() has checked it
    }
}

/// The files a command writes (its flag and path; nil when not given), checked before any long
/// work so that a run never trains for an hour to fail at the save: each must be able to take a
/// new file (`OutputFile.check`), and be none of the command's inputs nor another of its outputs.
/// `remedy` ends a refusal (default: choose another path for the flag).
func checkOutputs(_ outputs: [(flag: String, path: String?)], inputs: [(flag: String, path: String?)],
                  remedy: String? = nil) throws {
    let outputs = outputs.compactMap { o in o.path.map { (flag: o.flag, path: $0) } }
    let inputs = inputs.compactMap { i in i.path.map { (flag: i.flag, path: $0) } }
    for (k, output) in outputs.enumerated() {
        // Checked one by one in order, so a clash between two outputs is blamed on the first.
        func refuse(_ why: String) -> CommandError {
            CommandError("\(output.flag) \(output.path): \(why). \(remedy ?? "Choose another \(output.flag).")")
        }
        do {
            try OutputFile.check(output.path, notAnyOf: inputs.map(\.path))
        } catch let e as OutputFileError {
            if case .sameFileAs(let path) = e.kind, let input = inputs.first(where: { $0.path == path }) {
                throw refuse("it is the same file as \(input.flag) \(input.path); writing there would destroy it")
            }
            throw refuse(e.detail)
        }
        for other in outputs[(k + 1)...] where OutputFile.sameFile(output.path, other.path) {
            throw refuse("it is the file \(other.flag) writes (\(other.path)); one would overwrite the other")
        }
    }
}
