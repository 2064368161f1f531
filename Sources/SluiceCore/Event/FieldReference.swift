/// A parsed Logstash field reference: `name`, `[a][b]`, `[list][0]`, `[list][-1]`.
/// Parse once (at config time), use many times.
public struct FieldReference: Sendable, Hashable, CustomStringConvertible {
    public let path: [String]

    public init(path: [String]) { self.path = path }

    /// Parses `text`, throwing on malformed brackets.
    public init(parsing text: String) throws(FieldReferenceError) {
        // Scan bytes: String.contains(String) would go through Foundation when it is loaded.
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]") }) {
            guard !text.isEmpty else { throw FieldReferenceError(text: text, reason: "empty field name") }
            path = [text]
            return
        }
        var parts: [String] = []
        var rest = Substring(text)
        // `name[b][c]` is accepted as `[name][b][c]`.
        if let open = rest.firstIndex(of: "["), open != rest.startIndex {
            parts.append(String(rest[..<open]))
            rest = rest[open...]
        }
        while !rest.isEmpty {
            // Lookups and assignments walk the path recursively: bound it like any nesting.
            guard parts.count < ConfigLimits.maxNesting else {
                throw FieldReferenceError(text: text, reason: ConfigLimits.nestingMessage)
            }
            guard rest.first == "[", let close = rest.firstIndex(of: "]") else {
                throw FieldReferenceError(text: text, reason: "expected `[name]`")
            }
            let name = rest[rest.index(after: rest.startIndex)..<close]
            if name.isEmpty || name.utf8.contains(UInt8(ascii: "[")) {
                throw FieldReferenceError(text: text, reason: "empty or nested brackets")
            }
            parts.append(String(name))
            rest = rest[rest.index(after: close)...]
        }
        guard !parts.isEmpty else { throw FieldReferenceError(text: text, reason: "empty field reference") }
        path = parts
    }

    /// `[a][b]` form, as Logstash prints references.
    public var description: String {
        path.count == 1 ? path[0] : path.map { "[\($0)]" }.joined()
    }

    public var isMetadata: Bool { path.first == "@metadata" }
}

public struct FieldReferenceError: Error, CustomStringConvertible, Sendable {
    /// The reference as written, cut to 80 characters (a message never echoes a huge value).
    public let text: String
    public let reason: String

    public init(text: String, reason: String) {
        self.text = text.count > 80 ? String(text.prefix(80)) + "…" : text
        self.reason = reason
    }

    public var description: String { "invalid field reference `\(text)`: \(reason)" }
}

extension Value {
    @inline(__always)
    static func arrayIndex(_ key: String, count: Int) -> Int? {
        guard let i = Int(key) else { return nil }
        let j = i < 0 ? count + i : i
        return j >= 0 && j < count ? j : nil
    }

    func lookup(_ path: ArraySlice<String>) -> Value? {
        guard let key = path.first else { return self }
        switch self {
        case .object(let m):
            return m[key]?.lookup(path.dropFirst())
        case .array(let a):
            guard let i = Value.arrayIndex(key, count: a.count) else { return nil }
            return a[i].lookup(path.dropFirst())
        default:
            return nil
        }
    }

    /// Sets the value at `path`, creating objects for missing parents. Returns false when a
    /// parent exists but is a scalar (nothing is changed then).
    @discardableResult
    mutating func assign(_ path: ArraySlice<String>, _ newValue: Value) -> Bool {
        guard let key = path.first else { self = newValue; return true }
        switch self {
        case .object(var m):
            self = .null  // keep `m` uniquely referenced while we mutate it
            let ok: Bool
            if path.count == 1 {
                m.set(key, newValue); ok = true
            } else {
                ok = m.modify(key, default: .object(FieldMap())) { $0.assign(path.dropFirst(), newValue) }
            }
            self = .object(m)
            return ok
        case .array(var a):
            guard let i = Int(key) else { return false }
            self = .null
            var ok = true
            let j = i < 0 ? a.count + i : i
            if j >= 0 && j < a.count {
                ok = a[j].assign(path.dropFirst(), newValue)
            } else if j == a.count {
                var fresh: Value = path.count == 1 ? newValue : .object(FieldMap())
                if path.count > 1 { ok = fresh.assign(path.dropFirst(), newValue) }
                a.append(fresh)
            } else {
                ok = false
            }
            self = .array(a)
            return ok
        case .null:
            var m = FieldMap()
            var child = Value.null
            let ok = child.assign(path.dropFirst(), newValue)
            if path.count == 1 { child = newValue }
            m.set(key, child)
            self = .object(m)
            return ok
        default:
            return false
        }
    }

    mutating func remove(_ path: ArraySlice<String>) -> Value? {
        guard let key = path.first else { return nil }
        switch self {
        case .object(var m):
            self = .null
            defer { self = .object(m) }
            if path.count == 1 { return m.removeValue(forKey: key) }
            guard let i = m.position(of: key) else { return nil }
            return m.modifyValue(at: i) { $0.remove(path.dropFirst()) }
        case .array(var a):
            guard let i = Value.arrayIndex(key, count: a.count) else { return nil }
            self = .null
            defer { self = .array(a) }
            if path.count == 1 { return a.remove(at: i) }
            return a[i].remove(path.dropFirst())
        default:
            return nil
        }
    }

    /// Mutates the value at `path` in place if it exists.
    mutating func modify<R>(_ path: ArraySlice<String>, _ body: (inout Value) throws -> R) rethrows -> R? {
        guard let key = path.first else { return try body(&self) }
        switch self {
        case .object(var m):
            guard let i = m.position(of: key) else { return nil }
            self = .null
            defer { self = .object(m) }
            return try m.modifyValue(at: i) { try $0.modify(path.dropFirst(), body) }
        case .array(var a):
            guard let i = Value.arrayIndex(key, count: a.count) else { return nil }
            self = .null
            defer { self = .array(a) }
            return try a[i].modify(path.dropFirst(), body)
        default:
            return nil
        }
    }
}
