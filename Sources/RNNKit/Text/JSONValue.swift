/// A JSON value as far as a data file needs it: strings decoded, numbers kept as written.
enum JSONValue {
    case object([String: JSONValue], order: [String])
    case array
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    var kind: String {
        switch self {
        case .object: return "object"
        case .array: return "array"
        case .string: return "string"
        case .number: return "number"
        case .bool: return "boolean"
        case .null: return "null"
        }
    }
}
