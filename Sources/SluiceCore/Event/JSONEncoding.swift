/// Compact JSON output. Escapes `"`, `\` and control characters (short forms where JSON has
/// them, `\u00XX` otherwise) and passes other UTF-8 through, as Jackson does for Logstash.
///
/// Generic over the sink so the event codecs write into a `ByteBuffer` (no per-byte
/// uniqueness checks) while other callers keep appending to `[UInt8]`.
enum JSONWriter {
    static func write<S: ByteSink & ~Copyable>(_ v: Value, _ out: inout S) {
        switch v {
        case .null: out.append(ascii: "null")
        case .bool(let b): out.append(ascii: b ? "true" : "false")
        case .int(let n): appendInt(n, &out)
        case .double(let d): appendDouble(d, &out)
        case .number(let n): out.append(utf8: n.text)  // verbatim: the digits are the value
        case .string(let s): appendString(s, &out)
        case .timestamp(let t):
            out.append(UInt8(ascii: "\""))
            t.writeISO8601(to: &out)
            out.append(UInt8(ascii: "\""))
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (k, e) in a.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                write(e, &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let m):
            writeObject(m, skipMetadata: false, &out)
        }
    }

    static func writeObject<S: ByteSink & ~Copyable>(_ m: FieldMap, skipMetadata: Bool,
                                                     layout: SmallString.Layout? = SmallString.layout, _ out: inout S) {
        var exclusive = m  // one retain of the storage, instead of one per value (see writeJSON)
        exclusive.writeJSON(skipMetadata: skipMetadata, layout: layout, &out)
    }

    /// Inlined so that a short string, the common case, is written without a call (and
    /// without the retain and release of the string around one).
    @inline(__always)
    static func appendString<S: ByteSink & ~Copyable>(_ s: String, _ out: inout S) {
        if let (w0, w1, n) = SmallString.plainBytes(s) {
            out.append(quoted: w0, w1, count: n)
        } else {
            appendLongString(s, &out)
        }
    }

    static func appendLongString<S: ByteSink & ~Copyable>(_ s: String, _ out: inout S) {
        out.append(UInt8(ascii: "\""))
        if s.utf8.withContiguousStorageIfAvailable({ appendEscaped($0, &out) }) == nil {
            var copy = s
            copy.withUTF8 { appendEscaped($0, &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Copies runs of plain bytes in one go; only the bytes JSON forbids are rewritten.
    static func appendEscaped<S: ByteSink & ~Copyable>(_ b: UnsafeBufferPointer<UInt8>, _ out: inout S) {
        var run = 0
        var k = 0
        while true {
            k = jsonSpecialByteIndex(b, from: k)
            guard k < b.count else { break }
            let c = b[k]
            if k > run { out.append(bytes: UnsafeBufferPointer(rebasing: b[run..<k])) }
            run = k + 1
            out.append(UInt8(ascii: "\\"))
            switch c {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            default:
                out.append(ascii: "u00")
                out.append(hexDigit(c >> 4))
                out.append(hexDigit(c & 0xF))
            }
            k += 1
        }
        if run < b.count { out.append(bytes: UnsafeBufferPointer(rebasing: b[run..<b.count])) }
    }

    @inline(__always)
    static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 87 + v }

    @inline(__always)
    static func appendASCII<S: ByteSink & ~Copyable>(_ s: StaticString, _ out: inout S) {
        out.append(ascii: s)
    }

    static func appendInt<S: ByteSink & ~Copyable>(_ n: Int64, _ out: inout S) {
        if n >= 0 && n < 10 { out.append(UInt8(truncatingIfNeeded: 48 + n)); return }
        if n < 0 { out.append(UInt8(ascii: "-")) }
        appendDigits(n.magnitude, &out)
    }

    /// Writes `x` in decimal: digits are produced backwards into a stack buffer, then copied.
    static func appendDigits<S: ByteSink & ~Copyable>(_ x: UInt64, fractionDigits: Int = 0, _ out: inout S) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { buf in
            var i = buf.count
            var x = x
            var written = 0
            repeat {
                i -= 1
                buf[i] = UInt8(truncatingIfNeeded: 48 + x % 10)
                x /= 10
                written += 1
                if written == fractionDigits { i -= 1; buf[i] = UInt8(ascii: ".") }
            } while x > 0 || written <= fractionDigits
            out.append(bytes: UnsafeBufferPointer(rebasing: buf[i...]))
        }
    }
}

extension FieldMap {
    /// Writes the map as a JSON object. `mutating` only for exclusive access, which lets the
    /// compiler read strings and nested maps in place rather than retain and release each
    /// one (a copy passed to a function is retained); nothing is changed, so shared storage
    /// is not copied either.
    /// `layout` is `SmallString.layout`, read once by the caller and handed down.
    mutating func writeJSON<S: ByteSink & ~Copyable>(skipMetadata: Bool, layout: SmallString.Layout?, _ out: inout S) {
        out.append(UInt8(ascii: "{"))
        var first = true
        for i in storage.indices {
            if skipMetadata && storage[i].key.utf8.count == 9 && storage[i].key == Event.metadataKey { continue }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            // Short keys and string values are read as raw bytes where they lie: copying a
            // string out of the entry would cost a call to retain and one to release it.
            var key: SmallString.Bytes? = nil
            var shortValue: SmallString.Bytes? = nil
            if let layout {
                storage.withUnsafeBufferPointer { entries in
                    let entry = UnsafeRawPointer(entries.baseAddress.unsafelyUnwrapped + i)
                    key = SmallString.plainBytes(at: entry + layout.keyOffset)
                    if layout.valueOffset >= 0, case .string = entries[i].value {
                        shortValue = SmallString.plainBytes(at: entry + layout.valueOffset)
                    }
                }
            }
            if let (w0, w1, n) = key {
                out.append(quoted: w0, w1, count: n)
            } else {
                JSONWriter.appendLongString(storage[i].key, &out)
            }
            out.append(UInt8(ascii: ":"))
            if let (w0, w1, n) = shortValue {
                out.append(quoted: w0, w1, count: n)
                continue
            }
            switch storage[i].value {
            case .string(let s): JSONWriter.appendLongString(s, &out)
            case .object(let m): JSONWriter.writeObject(m, skipMetadata: false, layout: layout, &out)
            default: JSONWriter.write(storage[i].value, &out)
            }
        }
        out.append(UInt8(ascii: "}"))
    }
}

/// Strings of up to 15 UTF-8 bytes live inside the `String` value: the code units in its
/// first 15 bytes, then a byte whose 0x20 bit marks this small form and whose low nibble is
/// the count (the standard library's `_StringObject` layout on 64-bit platforms). Most keys
/// and many values are that short; taking their bytes straight from the value skips the
/// general path's closure, scan and copy calls.
enum SmallString {
    /// Where short strings can be read in place, or nil when this build's strings do not
    /// have the layout above (then every string takes the general path). Worked out once,
    /// on strings of known bytes; read once per object written, since every read of a
    /// global costs a call.
    struct Layout {
        /// Where an entry's key lies in the entry.
        let keyOffset: Int
        /// Where the string of a `.string` value lies in the entry, or -1 when a string
        /// value's payload is not at the start of the `Value`.
        let valueOffset: Int
    }

    static let layout: Layout? = {
        guard MemoryLayout<String>.size == 16 else { return nil }
        let ascii = String(decoding: [0x61, 0x62, 0x63], as: UTF8.self)  // "abc", built at run time
        let accented = String(decoding: [0x61, 0xC3, 0xA9], as: UTF8.self)  // "aé"
        let large = String(repeating: "x", count: 40)
        let (a0, a1) = unsafeBitCast(ascii, to: (UInt64, UInt64).self)
        let (e0, e1) = unsafeBitCast(accented, to: (UInt64, UInt64).self)
        let (_, l1) = unsafeBitCast(large, to: (UInt64, UInt64).self)
        guard a0 == 0x63_6261 && a1 >> 56 & 0x2F == 0x23 && e0 == 0xA9_C361 && e1 >> 56 & 0x2F == 0x23
            && l1 >> 56 & 0x20 == 0,
              let keyOffset = MemoryLayout<FieldMap.Entry>.offset(of: \.key) else { return nil }
        var valueOffset = -1
        if let offset = MemoryLayout<FieldMap.Entry>.offset(of: \.value) {
            let probe = Value.string(ascii)
            let bits = withUnsafeBytes(of: probe) { ($0.load(as: UInt64.self), $0.load(fromByteOffset: 8, as: UInt64.self)) }
            if bits == (a0, a1) { valueOffset = offset }
        }
        return Layout(keyOffset: keyOffset, valueOffset: valueOffset)
    }()

    /// A short string's two words of bytes and its count.
    typealias Bytes = (UInt64, UInt64, Int)

    /// The bytes and count of a small string with nothing JSON must escape; nil otherwise.
    @inline(__always)
    static func plainBytes(_ s: String) -> Bytes? {
        guard layout != nil else { return nil }
        let (w0, w1) = unsafeBitCast(s, to: (UInt64, UInt64).self)
        return plain(w0, w1)
    }

    /// The same for the string whose memory is at `p`, read without copying the string;
    /// only for a caller that found `layout` non-nil.
    @inline(__always)
    static func plainBytes(at p: UnsafeRawPointer) -> Bytes? {
        plain(p.loadUnaligned(as: UInt64.self), p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    @inline(__always)
    private static func plain(_ w0: UInt64, _ w1: UInt64) -> Bytes? {
        guard w1 >> 56 & 0x20 != 0 else { return nil }
        let n = Int(truncatingIfNeeded: w1 >> 56 & 0x0F)
        // Bytes past the count are zero, which would read as control characters: masked off.
        // (A flag can only come from a byte at or below it, so the masked flags are exact.)
        let mask0: UInt64 = n >= 8 ? ~0 : (1 << (UInt64(n) << 3)) &- 1
        let mask1: UInt64 = n > 8 ? (1 << (UInt64(n - 8) << 3)) &- 1 : 0
        guard specialBytes(w0) & mask0 | specialBytes(w1) & mask1 == 0 else { return nil }
        return (w0, w1, n)
    }
}
