/// An insertion-ordered map of field names to values.
///
/// Events hold a handful of fields, so lookups scan two parallel arrays; that beats
/// hashing for small maps. Large maps (full tweets carry hundreds of keys) get a hash
/// index once they pass `indexThreshold`.
public struct FieldMap: Sendable, Hashable {
    public private(set) var keys: [String] = []
    public private(set) var values: [Value] = []
    private var index: [String: Int]? = nil
    private static let indexThreshold = 24

    public init() {}
    public init(minimumCapacity n: Int) {
        keys.reserveCapacity(n)
        values.reserveCapacity(n)
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    @inline(__always)
    public func position(of key: String) -> Int? {
        if let index { return index[key] }
        for i in keys.indices where keys[i] == key { return i }
        return nil
    }

    public subscript(key: String) -> Value? {
        get { position(of: key).map { values[$0] } }
        set {
            if let newValue { set(key, newValue) } else { removeValue(forKey: key) }
        }
    }

    public mutating func set(_ key: String, _ value: Value) {
        if let i = position(of: key) {
            values[i] = value
        } else {
            keys.append(key)
            values.append(value)
            if index != nil {
                index?[key] = keys.count - 1
            } else if keys.count > Self.indexThreshold {
                rebuildIndex()
            }
        }
    }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> Value? {
        guard let i = position(of: key) else { return nil }
        keys.remove(at: i)
        let v = values.remove(at: i)
        if index != nil { rebuildIndex() }
        return v
    }

    /// Mutates the value stored under `key` in place (creating it with `initial` if absent),
    /// without copying the storage of nested containers.
    public mutating func modify<R>(_ key: String, default initial: @autoclosure () -> Value,
                                   _ body: (inout Value) throws -> R) rethrows -> R {
        let i: Int
        if let p = position(of: key) { i = p } else { set(key, initial()); i = keys.count - 1 }
        return try body(&values[i])
    }

    /// Mutates the value at an existing position in place.
    public mutating func modifyValue<R>(at i: Int, _ body: (inout Value) throws -> R) rethrows -> R {
        try body(&values[i])
    }

    public mutating func rename(_ old: String, to new: String) {
        guard let v = removeValue(forKey: old) else { return }
        set(new, v)
    }

    private mutating func rebuildIndex() {
        if keys.count <= Self.indexThreshold { index = nil; return }
        var d = [String: Int](minimumCapacity: keys.count * 2)
        for (i, k) in keys.enumerated() { d[k] = i }
        index = d
    }

    public static func == (a: FieldMap, b: FieldMap) -> Bool {
        guard a.count == b.count else { return false }
        for i in a.keys.indices {
            guard let v = b[a.keys[i]], v == a.values[i] else { return false }
        }
        return true
    }

    public func hash(into h: inout Hasher) {
        h.combine(count)
        for k in keys.sorted() { h.combine(k); h.combine(self[k]) }
    }
}

extension FieldMap: Sequence {
    public func makeIterator() -> AnyIterator<(key: String, value: Value)> {
        var i = 0
        let keys = self.keys, values = self.values
        return AnyIterator {
            guard i < keys.count else { return nil }
            defer { i += 1 }
            return (keys[i], values[i])
        }
    }
}
