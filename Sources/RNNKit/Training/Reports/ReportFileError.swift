/// A report file (`MetricsLog`, `TrainingReport`, `TensorBoardWriter`) that cannot be written:
/// which file, and why.
public struct ReportFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public var path: String
    /// What is wrong, without the path.
    public var detail: String

    public init(path: String, detail: String) {
        self.path = path
        self.detail = detail
    }

    public var description: String { "\(path): \(detail)." }
}
