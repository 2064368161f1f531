/// A compact binary form of events for the persistent queue and the dead-letter queue.
/// Unlike the JSON codecs it keeps every type (timestamps stay timestamps) and `@metadata`.
///
/// Each value is a tag byte then its payload; lengths and counts are LEB128 varints.
public enum EventSerializer {
    public struct Corrupt: Error, CustomStringConvertible, Sendable {
        public let offset: Int
        public var description: String { "corrupt event record at byte \(offset)" }
    }

    /// Deepest nesting a record holds (the reader recurses once per level). A value nested
    /// deeper (only a pipeline that nests fields on purpose makes one) is stored as
    /// `tooDeep` in place of what lies below that level, so the record stays readable.
    static let maxDepth = 512
    static let tooDeep = "<nested deeper than 512 levels>"

    private enum Tag: UInt8 {
        case null = 0, `false`, `true`, int, double, string, array, object, timestamp
        case number  // a `NumberLiteral`'s text
    }

    /// Appends the event's encoding to `out`.
    public static func encode(_ event: Event, into out: inout [UInt8]) {
        let at = out.count
        var room = 256
        while true {
            out.append(contentsOf: repeatElement(0, count: room))
            if let n = out.withUnsafeMutableBytes({ encode(event, into: UnsafeMutableRawBufferPointer(rebasing: $0[at...])) }) {
                out.removeLast(room - n)
                return
            }
            out.removeLast(room)
            room *= 4
        }
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(Corrupt) -> Event {
        var r = Reader(bytes: bytes)
        guard case .object(let fields) = try r.value(depth: 0), r.pos == bytes.count else { throw Corrupt(offset: r.pos) }
        return Event(fields: fields, stamp: false)
    }

    /// Writes the event's encoding at the start of `buffer`; returns its size, or nil when it
    /// does not fit (nothing is written outside the buffer; the caller retries with more room).
    ///
    /// Storing through a pointer costs far less than appending to an array byte by byte
    /// (each append checks capacity and uniqueness): the persistent queue encodes every
    /// event on the input's path.
    static func encode(_ event: Event, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        var w = Writer(buffer: buffer)
        w.object(event.fields, depth: 0)
        return w.overflow ? nil : w.pos
    }

    /// Stores into a buffer. Every store is bounds-checked: what does not fit sets `overflow`.
    private struct Writer {
        let buffer: UnsafeMutableRawBufferPointer
        var pos = 0
        var overflow = false

        init(buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }

        @inline(__always) mutating func byte(_ b: UInt8) {
            guard pos < buffer.count else { overflow = true; return }
            buffer[pos] = b
            pos += 1
        }

        @inline(__always) mutating func fixed(_ v: UInt64) {
            guard pos + 8 <= buffer.count else { overflow = true; return }
            buffer.storeBytes(of: v.littleEndian, toByteOffset: pos, as: UInt64.self)
            pos += 8
        }

        @inline(__always) mutating func varint(_ v: Int) {
            var x = UInt64(v)
            while x >= 0x80 { byte(UInt8(truncatingIfNeeded: x) | 0x80); x >>= 7 }
            byte(UInt8(x))
        }

        @inline(__always) mutating func string(_ s: String) {
            let utf8 = s.utf8
            varint(utf8.count)
            guard pos + utf8.count <= buffer.count else { overflow = true; return }
            // One copy of the contiguous bytes (native strings always are).
            let copied: Void? = utf8.withContiguousStorageIfAvailable { src in
                UnsafeMutableRawBufferPointer(rebasing: buffer[pos..<(pos + src.count)]).copyMemory(from: UnsafeRawBufferPointer(src))
            }
            if copied == nil {
                for (i, b) in utf8.enumerated() { buffer[pos + i] = b }
            }
            pos += utf8.count
        }

        mutating func value(_ v: Value, depth: Int) {
            // The reader refuses records nested deeper than `maxDepth`: never write one.
            if depth >= EventSerializer.maxDepth - 1, v.isArrayOrObject {
                byte(Tag.string.rawValue)
                string(EventSerializer.tooDeep)
                return
            }
            switch v {
            case .null: byte(Tag.null.rawValue)
            case .bool(let b): byte(b ? Tag.true.rawValue : Tag.false.rawValue)
            case .int(let i): byte(Tag.int.rawValue); fixed(UInt64(bitPattern: i))
            case .double(let d): byte(Tag.double.rawValue); fixed(d.bitPattern)
            case .timestamp(let t): byte(Tag.timestamp.rawValue); fixed(UInt64(bitPattern: t.nanoseconds))
            case .string(let s): byte(Tag.string.rawValue); string(s)
            case .number(let n): byte(Tag.number.rawValue); string(n.text)
            case .array(let a):
                byte(Tag.array.rawValue)
                varint(a.count)
                for e in a { value(e, depth: depth + 1) }
            case .object(let m): object(m, depth: depth)
            }
        }

        mutating func object(_ m: FieldMap, depth: Int) {
            byte(Tag.object.rawValue)
            varint(m.count)
            for e in m.entries { string(e.key); value(e.value, depth: depth + 1) }
        }
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var pos = 0

        mutating func byte() throws(Corrupt) -> UInt8 {
            guard pos < bytes.count else { throw Corrupt(offset: pos) }
            defer { pos += 1 }
            return bytes[pos]
        }

        mutating func fixed() throws(Corrupt) -> UInt64 {
            guard pos + 8 <= bytes.count else { throw Corrupt(offset: pos) }
            defer { pos += 8 }
            return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: pos, as: UInt64.self))
        }

        mutating func varint() throws(Corrupt) -> Int {
            var x: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let b = try byte()
                x |= UInt64(b & 0x7f) << shift
                if b < 0x80 { break }
                shift += 7
                guard shift < 63 else { throw Corrupt(offset: pos) }
            }
            guard x <= UInt64(bytes.count) else { throw Corrupt(offset: pos) }  // no count can exceed the record
            return Int(x)
        }

        mutating func string() throws(Corrupt) -> String {
            let n = try varint()
            guard pos + n <= bytes.count else { throw Corrupt(offset: pos) }
            defer { pos += n }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[pos..<(pos + n)]), as: UTF8.self)
        }

        mutating func value(depth: Int) throws(Corrupt) -> Value {
            guard depth < EventSerializer.maxDepth, let tag = Tag(rawValue: try byte()) else { throw Corrupt(offset: pos) }
            switch tag {
            case .null: return .null
            case .false: return .bool(false)
            case .true: return .bool(true)
            case .int: return .int(Int64(bitPattern: try fixed()))
            case .double: return .double(Double(bitPattern: try fixed()))
            case .timestamp: return .timestamp(Timestamp(nanoseconds: Int64(bitPattern: try fixed())))
            case .string: return .string(try string())
            case .number:
                let text = try string()
                guard let n = NumberLiteral(text) else { throw Corrupt(offset: pos) }
                return .number(n)
            case .array:
                let n = try varint()
                var a: [Value] = []
                a.reserveCapacity(n)
                for _ in 0..<n { a.append(try value(depth: depth + 1)) }
                return .array(a)
            case .object:
                let n = try varint()
                var m = FieldMap(minimumCapacity: n)
                for _ in 0..<n {
                    let k = try string()
                    m.set(k, try value(depth: depth + 1))
                }
                return .object(m)
            }
        }
    }
}

extension Value {
    var isArrayOrObject: Bool {
        switch self {
        case .array, .object: return true
        default: return false
        }
    }
}
