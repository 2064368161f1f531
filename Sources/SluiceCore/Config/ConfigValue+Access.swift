extension ConfigValue {
    /// The text of a string or bareword.
    public var stringValue: String? {
        switch self {
        case .string(let s), .bareword(let s): return s
        default: return nil
        }
    }

    /// A number without a fractional part, as an integer.
    public var intValue: Int64? {
        if case .number(let n) = self { return Int64(n) }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let n) = self { return Double(n) }
        return nil
    }

    /// `true` / `false` written as a bareword or a string.
    public var boolValue: Bool? {
        switch stringValue {
        case "true"?: return true
        case "false"?: return false
        default: return nil
        }
    }

    public var arrayValue: [ConfigValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var hashEntries: [HashEntry]? {
        if case .hash(let h) = self { return h }
        return nil
    }

    public var pluginValue: PluginNode? {
        if case .plugin(let p) = self { return p }
        return nil
    }

    /// The value of `key` in a hash value (the last one, as a Ruby hash keeps it).
    public subscript(key key: String) -> ConfigValue? {
        hashEntries?.last { $0.key == key }?.value
    }

    /// The value as event data: numbers become int/double, barewords strings, hashes objects.
    /// Plugin values have no data form and become their name.
    public var eventValue: Value {
        switch self {
        case .string(let s), .bareword(let s): return .string(s)
        case .number(let n):
            if let i = Int64(n) { return .int(i) }
            return .double(Double(n) ?? 0)
        case .array(let a): return .array(a.map(\.eventValue))
        case .hash(let entries):
            var m = FieldMap(minimumCapacity: entries.count)
            for e in entries { m.set(e.key, e.value.eventValue) }
            return .object(m)
        case .plugin(let p): return .string(p.name)
        }
    }
}

extension ConfigValue: CustomStringConvertible {
    /// The value in configuration syntax.
    public var description: String {
        switch self {
        case .string(let s): return "\"" + s.replacingAll("\"", with: "\\\"") + "\""
        case .number(let n), .bareword(let n): return n
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .hash(let h): return "{ " + h.map { "\"\($0.key)\" => \($0.value)" }.joined(separator: " ") + " }"
        case .plugin(let p):
            let body = p.settings.map { "\($0.name) => \($0.value)" }.joined(separator: " ")
            return body.isEmpty ? "\(p.name) { }" : "\(p.name) { \(body) }"
        }
    }
}

fileprivate extension String {
    /// Replaces every occurrence of a single character (no Foundation here).
    func replacingAll(_ ch: Character, with replacement: String) -> String {
        guard contains(ch) else { return self }
        var out = ""
        for c in self { if c == ch { out += replacement } else { out.append(c) } }
        return out
    }
}
