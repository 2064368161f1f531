#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Value semantics of conditionals, following Logstash's Java execution engine
/// (`EventCondition`). A missing field and a JSON null are both `nil` here.
enum ConditionValues {
    /// `==`: numbers numerically across int/float, containers structurally, no coercion
    /// between strings and numbers.
    static func equal(_ a: Value?, _ b: Value?) -> Bool {
        switch (a, b) {
        case (nil, nil), (.null?, nil), (nil, .null?), (.null?, .null?): return true
        case (.string(let x)?, .string(let y)?): return x == y
        case (.int(let x)?, .int(let y)?): return x == y
        case (.int(let x)?, .double(let y)?): return Double(x) == y
        case (.double(let x)?, .int(let y)?): return x == Double(y)
        case (.double(let x)?, .double(let y)?): return x == y
        case (.number?, .int?), (.number?, .double?), (.number?, .number?), (.int?, .number?), (.double?, .number?):
            return order(a, b) == 0
        case (.bool(let x)?, .bool(let y)?): return x == y
        case (.timestamp(let x)?, .timestamp(let y)?): return x == y
        case (.array(let x)?, .array(let y)?):
            guard x.count == y.count else { return false }
            for i in x.indices where !equal(x[i], y[i]) { return false }
            return true
        case (.object(let x)?, .object(let y)?):
            guard x.count == y.count else { return false }
            for (k, v) in x {
                guard let w = y[k], equal(v, w) else { return false }
            }
            return true
        default:
            return false
        }
    }

    /// Ordering for `< > <= >=`: numbers numerically, strings bytewise (as Ruby does),
    /// timestamps by time; nil when the two cannot be ordered (the comparison is false).
    static func order(_ a: Value?, _ b: Value?) -> Int? {
        switch (a, b) {
        case (.int(let x)?, .int(let y)?): return x < y ? -1 : (x == y ? 0 : 1)
        case (.int(let x)?, .double(let y)?): return order(Double(x), y)
        case (.double(let x)?, .int(let y)?): return order(x, Double(y))
        case (.double(let x)?, .double(let y)?): return order(x, y)
        case (.number(let x)?, _): return numberOrder(x.text, b)
        case (_, .number(let y)?): return numberOrder(y.text, a).map { -$0 }
        case (.string(let x)?, .string(let y)?): return order(x, y)
        case (.timestamp(let x)?, .timestamp(let y)?): return x < y ? -1 : (x == y ? 0 : 1)
        default: return nil
        }
    }

    /// A `NumberLiteral`'s digits against another number, exactly (decimal against decimal).
    static func numberOrder(_ text: String, _ other: Value?) -> Int? {
        switch other {
        case .int(let y)?: return NumberLiteral.compare(text.utf8, String(y).utf8)
        case .double(let y)? where y.isFinite: return NumberLiteral.compare(text.utf8, y.description.utf8)
        case .double(let y)?: return order(Double(text) ?? .nan, y)
        case .number(let y)?: return NumberLiteral.compare(text.utf8, y.text.utf8)
        default: return nil
        }
    }

    @inline(__always)
    static func order(_ x: Double, _ y: Double) -> Int? {
        if x < y { return -1 }
        if x > y { return 1 }
        return x == y ? 0 : nil  // NaN
    }

    @inline(__always)
    static func order(_ x: String, _ y: String) -> Int {
        if x == y { return 0 }
        return x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1
    }

    /// `item in container` when the container is an event field or a constant string:
    /// a string inside a string is a substring test, inside an array an element test;
    /// an array or hash on the left is never "in" anything.
    static func contains(_ item: Value?, in container: Value?) -> Bool {
        guard let item, !isContainerOrNull(item), let container else { return false }
        switch container {
        case .string(let haystack):
            guard case .string(let needle) = item else { return false }
            return substring(haystack, needle)
        case .array(let elements):
            for e in elements where equal(item, e) { return true }
            return false
        case .null:
            return false
        default:
            return equal(item, container)
        }
    }

    /// Logstash's truthiness for conditionals: nil, false, "" and "false" are false.
    static func truthy(_ v: Value?) -> Bool {
        switch v {
        case nil, .null?: return false
        case .bool(let b)?: return b
        case .string(let s)?: return !s.isEmpty && s != "false"
        default: return true
        }
    }

    /// The text a scalar compares by in `[field] in [constant, list]` (Logstash compares
    /// `toString()`s there, so `"200"` is in `[200]`); nil for containers and null.
    static func scalarText(_ v: Value) -> String? {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return "\(d)"
        case .number(let n): return n.text
        case .bool(let b): return b ? "true" : "false"
        case .timestamp(let t): return t.iso8601
        case .null, .array, .object: return nil
        }
    }

    static func isContainerOrNull(_ v: Value) -> Bool {
        switch v {
        case .array, .object, .null: return true
        default: return false
        }
    }

    /// Whether `needle` occurs in `haystack`, comparing UTF-8 bytes as Ruby does.
    static func substring(_ haystack: String, _ needle: String) -> Bool {
        if needle.isEmpty { return true }
        var h = haystack, n = needle
        return h.withUTF8 { hb in
            n.withUTF8 { nb in
                guard nb.count <= hb.count, let hp = hb.baseAddress, let np = nb.baseAddress else { return false }
                // memchr for the first byte, memcmp for the rest (memmem is not exported everywhere).
                let first = Int32(np.pointee)
                var i = 0
                let last = hb.count - nb.count
                while i <= last {
                    guard let p = memchr(hp + i, first, last - i + 1) else { return false }
                    let at = UnsafePointer<UInt8>(p.assumingMemoryBound(to: UInt8.self)) - hp
                    if memcmp(hp + at, np, nb.count) == 0 { return true }
                    i = at + 1
                }
                return false
            }
        }
    }
}
