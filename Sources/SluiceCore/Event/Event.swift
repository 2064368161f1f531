/// One event: an ordered map of fields with Logstash's conventions.
///
/// `@timestamp` is set on creation, `@version` is "1", `tags` is an array of strings and
/// `@metadata` travels with the event but is never serialized by codecs.
public struct Event: Sendable, Hashable {
    public var fields: FieldMap

    public static let timestampKey = "@timestamp"
    public static let versionKey = "@version"
    public static let metadataKey = "@metadata"
    /// Room for fields a new event is given, so that filters adding a few fields (grok's
    /// captures, say) do not grow its storage again.
    public static let reservedFieldCount = 16

    /// A new event stamped now, with `@version` "1".
    public init(timestamp: Timestamp = .now()) {
        fields = FieldMap(minimumCapacity: Event.reservedFieldCount)
        fields.set(Event.timestampKey, .timestamp(timestamp))
        fields.set(Event.versionKey, .string("1"))
    }

    /// A new event carrying `message`.
    public init(message: String, timestamp: Timestamp = .now()) {
        self.init(timestamp: timestamp)
        fields.set("message", .string(message))
    }

    /// Wraps decoded fields, adding `@timestamp`/`@version` when missing (as Logstash does for JSON input).
    public init(fields: FieldMap, stamp: Bool = true) {
        self.fields = fields
        guard stamp else { return }
        switch fields[Event.timestampKey] {
        case .timestamp?: break
        case .string(let s)?:
            if let t = DateParsing.parseISO8601(s) { self.fields.set(Event.timestampKey, .timestamp(t)) }
            else {
                self.fields.set(Event.timestampKey, .timestamp(.now()))
                self.fields.set("_@timestamp", .string(s))
                addTag("_timestampparsefailure")
            }
        default: self.fields.set(Event.timestampKey, .timestamp(.now()))
        }
        if self.fields[Event.versionKey] == nil { self.fields.set(Event.versionKey, .string("1")) }
    }

    public var timestamp: Timestamp {
        get { if case .timestamp(let t)? = fields[Event.timestampKey] { return t }; return Timestamp(nanoseconds: 0) }
        set { fields.set(Event.timestampKey, .timestamp(newValue)) }
    }

    public var message: String? { fields["message"]?.stringValue }

    // MARK: field references

    public subscript(ref: FieldReference) -> Value? {
        get {
            let p = ref.path
            guard let top = fields[p[0]] else { return nil }
            return p.count == 1 ? top : top.lookup(p.dropFirst())
        }
        set {
            if let newValue { set(ref, newValue) } else { remove(ref) }
        }
    }

    /// Looks a field up by reference text (parsed each call; prefer a parsed `FieldReference`).
    public subscript(field text: String) -> Value? {
        get { (try? FieldReference(parsing: text)).flatMap { self[$0] } }
        set { if let r = try? FieldReference(parsing: text) { self[r] = newValue } }
    }

    /// Sets a field, creating parent objects. Returns false when a parent is a scalar.
    @discardableResult
    public mutating func set(_ ref: FieldReference, _ value: consuming Value) -> Bool {
        let p = ref.path
        if p.count == 1 { fields.set(p[0], value); return true }
        return fields.modify(p[0], default: .object(FieldMap())) { $0.assign(p.dropFirst(), value) }
    }

    @discardableResult
    public mutating func remove(_ ref: FieldReference) -> Value? {
        let p = ref.path
        if p.count == 1 { return fields.removeValue(forKey: p[0]) }
        guard let i = fields.position(of: p[0]) else { return nil }
        return fields.modifyValue(at: i) { $0.remove(p.dropFirst()) }
    }

    /// Mutates an existing field in place; returns nil when it does not exist.
    @discardableResult
    public mutating func modify<R>(_ ref: FieldReference, _ body: (inout Value) throws -> R) rethrows -> R? {
        let p = ref.path
        guard let i = fields.position(of: p[0]) else { return nil }
        return try fields.modifyValue(at: i) { try $0.modify(p.dropFirst(), body) }
    }

    public func contains(_ ref: FieldReference) -> Bool { self[ref] != nil }

    // MARK: tags

    public var tags: [String] {
        switch fields["tags"] {
        case .array(let a)?: return a.compactMap(\.stringValue)
        case .string(let s)?: return [s]
        default: return []
        }
    }

    public func hasTag(_ tag: String) -> Bool { tags.contains(tag) }

    public mutating func addTag(_ tag: String) {
        switch fields["tags"] {
        case .array(let a)?:
            if a.contains(.string(tag)) { return }
            fields.modify("tags", default: .array([])) { v in
                if case .array(var arr) = v { v = .null; arr.append(.string(tag)); v = .array(arr) }
            }
        case .string(let s)?:
            if s != tag { fields.set("tags", .array([.string(s), .string(tag)])) }
        default:
            fields.set("tags", .array([.string(tag)]))
        }
    }

    public mutating func removeTag(_ tag: String) {
        guard case .array(var a)? = fields["tags"] else {
            if fields["tags"] == .string(tag) { fields.removeValue(forKey: "tags") }
            return
        }
        a.removeAll { $0 == .string(tag) }
        fields.set("tags", .array(a))
    }

    /// Fields without `@metadata`, as codecs serialize them.
    public var serializableFields: FieldMap {
        guard fields.position(of: Event.metadataKey) != nil else { return fields }
        var f = fields
        f.removeValue(forKey: Event.metadataKey)
        return f
    }
}
