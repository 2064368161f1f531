/// A field value, as Logstash events carry them.
public enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    /// A number neither `int` nor `double` holds exactly, kept as its digits (see `NumberLiteral`).
    case number(NumberLiteral)
    case string(String)
    case array([Value])
    case object(FieldMap)
    case timestamp(Timestamp)
}

extension Value {
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var objectValue: FieldMap? { if case .object(let o) = self { return o }; return nil }
    public var arrayValue: [Value]? { if case .array(let a) = self { return a }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }

    /// A copy that shares no heap storage with `self` (see `FieldMap.unshared`).
    public func unshared() -> Value {
        switch self {
        case .string(let s): return .string(s.unshared())
        case .array(let a): return .array(a.map { $0.unshared() })
        case .object(let m): return .object(m.unshared())
        default: return self
        }
    }

    /// The text Logstash's sprintf renders for this value: strings as they are,
    /// numbers as numbers, arrays joined with commas, objects and timestamps as JSON/ISO8601.
    public var renderedString: String {
        switch self {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return JSON.formatDouble(d)
        case .number(let n): return n.text
        case .string(let s): return s
        case .timestamp(let t): return t.iso8601
        case .array(let a): return a.map(\.renderedString).joined(separator: ",")
        case .object: return JSON.encodeToString(self)
        }
    }

    /// Ruby-ish truthiness used by conditionals: nil and false are false, everything else true.
    public var isTruthy: Bool {
        switch self {
        case .null: return false
        case .bool(let b): return b
        default: return true
        }
    }

    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "float"
        case .number(let n): return n.isIntegral ? "integer" : "float"
        case .string: return "string"
        case .array: return "array"
        case .object: return "hash"
        case .timestamp: return "timestamp"
        }
    }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: Value...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, Value)...) {
        var m = FieldMap()
        for (k, v) in elements { m[k] = v }
        self = .object(m)
    }
    public init(nilLiteral: ()) { self = .null }
}

extension String {
    /// The same text in storage of its own (small strings have no storage to share).
    public func unshared() -> String {
        let n = utf8.count
        guard n > 15 else { return self }
        var copy = String()
        copy.reserveCapacity(n)
        copy.append(self)
        return copy
    }
}
