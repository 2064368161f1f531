/// Compact JSON output. Escapes `"`, `\` and control characters (short forms where JSON has
/// them, `\u00XX` otherwise) and passes other UTF-8 through, as Jackson does for Logstash.
enum JSONWriter {
    static func write(_ v: Value, _ out: inout [UInt8]) {
        switch v {
        case .null: appendASCII("null", &out)
        case .bool(let b): appendASCII(b ? "true" : "false", &out)
        case .int(let n): appendInt(n, &out)
        case .double(let d): appendDouble(d, &out)
        case .string(let s): appendString(s, &out)
        case .timestamp(let t):
            out.append(UInt8(ascii: "\""))
            t.appendISO8601(to: &out)
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

    static func writeObject(_ m: FieldMap, skipMetadata: Bool, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        for e in m.entries {
            if skipMetadata && e.key.utf8.count == 9 && e.key == Event.metadataKey { continue }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            appendString(e.key, &out)
            out.append(UInt8(ascii: ":"))
            write(e.value, &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    static func appendString(_ s: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if s.utf8.withContiguousStorageIfAvailable({ appendEscaped($0, &out) }) == nil {
            var copy = s
            copy.withUTF8 { appendEscaped($0, &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Copies runs of plain bytes in one go; only the bytes JSON forbids are rewritten.
    static func appendEscaped(_ b: UnsafeBufferPointer<UInt8>, _ out: inout [UInt8]) {
        var run = 0
        var k = 0
        while true {
            k = jsonSpecialByteIndex(b, from: k)
            guard k < b.count else { break }
            let c = b[k]
            if k > run { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[run..<k])) }
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
                appendASCII("u00", &out)
                out.append(hexDigit(c >> 4))
                out.append(hexDigit(c & 0xF))
            }
            k += 1
        }
        if run < b.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[run..<b.count])) }
    }

    @inline(__always)
    static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 87 + v }

    @inline(__always)
    static func appendASCII(_ s: StaticString, _ out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    static func appendInt(_ n: Int64, _ out: inout [UInt8]) {
        var x = n.magnitude
        if n < 0 { out.append(UInt8(ascii: "-")) }
        let start = out.count
        repeat { out.append(UInt8(truncatingIfNeeded: 48 + x % 10)); x /= 10 } while x > 0
        reverseTail(&out, from: start)
    }
}

/// Reverses `out[start...]` in place (slicing a mutable array would copy it).
@inline(__always)
func reverseTail(_ out: inout [UInt8], from start: Int) {
    var i = start, j = out.count - 1
    while i < j {
        out.swapAt(i, j)
        i += 1
        j -= 1
    }
}
