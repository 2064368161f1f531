/// A compact binary form of events for the persistent queue and the dead-letter queue.
/// Unlike the JSON codecs it keeps every type (timestamps stay timestamps) and `@metadata`.
///
/// Each value is a tag byte then its payload; lengths and counts are LEB128 varints.
public enum EventSerializer {
    public struct Corrupt: Error, CustomStringConvertible, Sendable {
        public let offset: Int
        public var description: String { "corrupt event record at byte \(offset)" }
    }

    private enum Tag: UInt8 {
        case null = 0, `false`, `true`, int, double, string, array, object, timestamp
    }

    public static func encode(_ event: Event, into out: inout [UInt8]) {
        write(.object(event.fields), &out)
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(Corrupt) -> Event {
        var r = Reader(bytes: bytes)
        guard case .object(let fields) = try r.value(depth: 0), r.pos == bytes.count else { throw Corrupt(offset: r.pos) }
        return Event(fields: fields, stamp: false)
    }

    private static func write(_ v: Value, _ out: inout [UInt8]) {
        switch v {
        case .null: out.append(Tag.null.rawValue)
        case .bool(let b): out.append(b ? Tag.true.rawValue : Tag.false.rawValue)
        case .int(let i): out.append(Tag.int.rawValue); fixed(UInt64(bitPattern: i), &out)
        case .double(let d): out.append(Tag.double.rawValue); fixed(d.bitPattern, &out)
        case .timestamp(let t): out.append(Tag.timestamp.rawValue); fixed(UInt64(bitPattern: t.nanoseconds), &out)
        case .string(let s): out.append(Tag.string.rawValue); string(s, &out)
        case .array(let a):
            out.append(Tag.array.rawValue)
            varint(UInt64(a.count), &out)
            for e in a { write(e, &out) }
        case .object(let m):
            out.append(Tag.object.rawValue)
            varint(UInt64(m.count), &out)
            for e in m.entries { string(e.key, &out); write(e.value, &out) }
        }
    }

    @inline(__always) private static func string(_ s: String, _ out: inout [UInt8]) {
        varint(UInt64(s.utf8.count), &out)
        out.append(contentsOf: s.utf8)
    }

    @inline(__always) static func fixed(_ v: UInt64, _ out: inout [UInt8]) {
        var x = v
        for _ in 0..<8 { out.append(UInt8(truncatingIfNeeded: x)); x >>= 8 }
    }

    @inline(__always) static func varint(_ v: UInt64, _ out: inout [UInt8]) {
        var x = v
        while x >= 0x80 { out.append(UInt8(truncatingIfNeeded: x) | 0x80); x >>= 7 }
        out.append(UInt8(x))
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
            var x: UInt64 = 0
            for i in (0..<8).reversed() { x = x << 8 | UInt64(bytes[pos + i]) }
            pos += 8
            return x
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
            guard depth < 512, let tag = Tag(rawValue: try byte()) else { throw Corrupt(offset: pos) }
            switch tag {
            case .null: return .null
            case .false: return .bool(false)
            case .true: return .bool(true)
            case .int: return .int(Int64(bitPattern: try fixed()))
            case .double: return .double(Double(bitPattern: try fixed()))
            case .timestamp: return .timestamp(Timestamp(nanoseconds: Int64(bitPattern: try fixed())))
            case .string: return .string(try string())
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
