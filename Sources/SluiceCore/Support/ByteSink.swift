/// Where the serializers write bytes. `[UInt8]` is one; `ByteBuffer` is the hot path's,
/// which skips the array's uniqueness check on every byte appended.
public protocol ByteSink: ~Copyable {
    mutating func append(_ byte: UInt8)
    mutating func append(bytes: UnsafeBufferPointer<UInt8>)
    /// Appends `"`, the first `count` (at most 16) bytes of `w0` then `w1` as laid out in
    /// memory, and `"`: a short JSON string in one step.
    mutating func append(quoted w0: UInt64, _ w1: UInt64, count: Int)
}

extension Array: ByteSink where Element == UInt8 {
    @inline(__always)
    public mutating func append(bytes: UnsafeBufferPointer<UInt8>) { append(contentsOf: bytes) }
}

extension ByteSink where Self: ~Copyable {
    public mutating func append(quoted w0: UInt64, _ w1: UInt64, count: Int) {
        append(UInt8(ascii: "\""))
        withUnsafeBytes(of: (w0, w1)) { append(bytes: UnsafeBufferPointer(rebasing: $0.bindMemory(to: UInt8.self)[..<count])) }
        append(UInt8(ascii: "\""))
    }

    @inline(__always)
    mutating func append(ascii s: StaticString) {
        append(bytes: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inline(__always)
    mutating func append(utf8 s: String) {
        if s.utf8.withContiguousStorageIfAvailable({ append(bytes: $0) }) == nil {
            var copy = s
            copy.withUTF8 { append(bytes: $0) }
        }
    }

    @inline(__always)
    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append(bytes: $0) }
    }
}

/// A growable byte buffer that owns its memory: appends check capacity and nothing else.
/// Non-copyable, so the memory has exactly one owner and is freed once.
public struct ByteBuffer: ~Copyable, ByteSink {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    public private(set) var count = 0

    public init(capacity: Int = 1024) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        if count == capacity { grow(toFit: 1) }
        base[count] = byte
        count &+= 1
    }

    @inline(__always)
    public mutating func append(bytes: UnsafeBufferPointer<UInt8>) {
        guard let src = bytes.baseAddress else { return }
        let n = bytes.count
        if n > capacity &- count { grow(toFit: n) }
        (base + count).initialize(from: src, count: n)
        count &+= n
    }

    @inline(__always)
    public mutating func append(quoted w0: UInt64, _ w1: UInt64, count n: Int) {
        // Both words are stored whole (the bytes past `n` are overwritten next), so the
        // buffer needs room for all 16 plus the quotes.
        if capacity &- count < 18 { grow(toFit: 18) }
        let p = UnsafeMutableRawPointer(base + count)
        p.storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
        p.storeBytes(of: w0, toByteOffset: 1, as: UInt64.self)
        p.storeBytes(of: w1, toByteOffset: 9, as: UInt64.self)
        p.storeBytes(of: UInt8(ascii: "\""), toByteOffset: n &+ 1, as: UInt8.self)
        count &+= n &+ 2
    }

    /// Forgets the contents, keeping the memory for reuse.
    public mutating func removeAll() { count = 0 }

    public func withBytes<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    private mutating func grow(toFit n: Int) {
        let newCapacity = max(capacity * 2, count + n)
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }
}
