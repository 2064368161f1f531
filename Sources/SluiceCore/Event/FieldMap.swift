/// An insertion-ordered map of field names to values.
///
/// Events hold a handful of fields, so lookups scan one array of entries; that beats
/// hashing for small maps, and copying an event costs one allocation. Large maps (full
/// tweets carry hundreds of keys) get a hash index once they pass `indexThreshold`.
public struct FieldMap: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: Value

        @usableFromInline
        init(key: String, value: Value) {
            self.key = key
            self.value = value
        }
    }

    // The hot methods are inlinable: grok and the codecs call them per field from other
    // modules, where a call each would cost more than the work.
    @usableFromInline var storage: [Entry] = []
    /// The fields in insertion order.
    @inlinable public var entries: [Entry] { _read { yield storage } }
    @usableFromInline var index: [String: Int]? = nil
    @usableFromInline static let indexThreshold = 24

    public init() {}
    @inlinable
    public init(minimumCapacity n: Int) { storage.reserveCapacity(n) }

    /// A copy of `other` in its own storage with room for `capacity` fields. Copying entry by
    /// entry here is specialized code; the array's own copy goes through generic witnesses.
    /// `other` is borrowed: an initializer's parameter is otherwise passed owned, which
    /// costs the caller a retain and this a release of its storage per copy.
    public init(copying other: borrowing FieldMap, capacity: Int) {
        storage.reserveCapacity(Swift.max(capacity, other.storage.count))
        for i in other.storage.indices { storage.append(other.storage[i]) }
        index = other.index
    }

    /// A copy that shares no heap storage with `self` (strings, arrays and nested maps are
    /// copied too). Events made from a template all retain the template's storage; copying
    /// it for each batch keeps those reference counts on one core instead of bouncing
    /// between the threads that create, encode and free the events.
    public func unshared() -> FieldMap {
        var m = FieldMap(minimumCapacity: count)
        for e in storage { m.append(uniqueKey: e.key.unshared(), e.value.unshared()) }
        return m
    }

    /// Makes room for `n` fields in total, so that adding several fields grows storage once.
    @inlinable
    public mutating func reserveCapacity(_ n: Int) { storage.reserveCapacity(n) }

    @inlinable public var count: Int { storage.count }
    @inlinable public var isEmpty: Bool { storage.isEmpty }
    public var keys: [String] { storage.map(\.key) }
    public var values: [Value] { storage.map(\.value) }

    @inlinable
    public func position(of key: String) -> Int? {
        if let index { return index[key] }
        // Comparing lengths first skips most out-of-line string comparisons.
        let n = key.utf8.count
        for i in storage.indices where storage[i].key.utf8.count == n && storage[i].key == key { return i }
        return nil
    }

    @inlinable public func key(at i: Int) -> String { storage[i].key }
    @inlinable public func value(at i: Int) -> Value { storage[i].value }

    @inlinable
    public subscript(key: String) -> Value? {
        get { position(of: key).map { storage[$0].value } }
        set {
            if let newValue { set(key, newValue) } else { removeValue(forKey: key) }
        }
    }

    public mutating func set(_ key: String, _ value: consuming Value) {
        if let i = position(of: key) {
            storage[i].value = value
        } else {
            append(uniqueKey: key, value)
        }
    }

    /// Appends a field the caller knows is absent (keys of a plan built at start-up),
    /// skipping the duplicate check of `set`.
    @inlinable
    public mutating func append(uniqueKey key: String, _ value: consuming Value) {
        storage.append(Entry(key: key, value: value))
        if index != nil {
            index?[key] = storage.count - 1
        } else if storage.count > Self.indexThreshold {
            rebuildIndex()
        }
    }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> Value? {
        guard let i = position(of: key) else { return nil }
        let v = storage.remove(at: i).value
        if index != nil { rebuildIndex() }
        return v
    }

    /// Mutates the value stored under `key` in place (creating it with `initial` if absent),
    /// without copying the storage of nested containers.
    public mutating func modify<R>(_ key: String, default initial: @autoclosure () -> Value,
                                   _ body: (inout Value) throws -> R) rethrows -> R {
        let i: Int
        if let p = position(of: key) { i = p } else { set(key, initial()); i = storage.count - 1 }
        return try body(&storage[i].value)
    }

    /// Mutates the value at an existing position in place.
    public mutating func modifyValue<R>(at i: Int, _ body: (inout Value) throws -> R) rethrows -> R {
        try body(&storage[i].value)
    }

    /// Replaces the value at an existing position.
    @inlinable
    public mutating func setValue(_ v: consuming Value, at i: Int) { storage[i].value = v }

    public mutating func rename(_ old: String, to new: String) {
        guard let v = removeValue(forKey: old) else { return }
        set(new, v)
    }

    @usableFromInline
    mutating func rebuildIndex() {
        if storage.count <= Self.indexThreshold { index = nil; return }
        var d = [String: Int](minimumCapacity: storage.count * 2)
        for (i, e) in storage.enumerated() { d[e.key] = i }
        index = d
    }

    public static func == (a: FieldMap, b: FieldMap) -> Bool {
        guard a.count == b.count else { return false }
        for e in a.entries {
            guard let v = b[e.key], v == e.value else { return false }
        }
        return true
    }

    public func hash(into h: inout Hasher) {
        h.combine(count)
        for k in keys.sorted() { h.combine(k); h.combine(self[k]) }
    }
}

extension FieldMap: Sequence {
    public struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[Entry]>
        public mutating func next() -> (key: String, value: Value)? {
            base.next().map { ($0.key, $0.value) }
        }
    }
    public func makeIterator() -> Iterator { Iterator(base: storage.makeIterator()) }
}
