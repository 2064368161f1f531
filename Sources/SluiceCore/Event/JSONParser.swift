/// A recursive-descent JSON parser over a byte buffer. Strings without escapes become
/// `String`s straight from the input bytes; escapes go through one reused scratch buffer.
struct JSONParser {
    private let b: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var depth = 0
    private var scratch: [UInt8] = []
    // Members of the containers being parsed. Collecting them here and building each
    // container once at its end saves the repeated regrowth of small arrays.
    // Slots above `top` are stale and get overwritten, which is cheaper than removing them.
    private var keyStack: [String] = []
    private var valueStack: [Value] = []
    private var top = 0
    /// Set when invalid UTF-8 or an unpaired surrogate escape became U+FFFD.
    private(set) var replacedUTF8 = false

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        b = bytes
        keyStack.reserveCapacity(16)
        valueStack.reserveCapacity(16)
    }

    mutating func document() throws(JSONError) -> Value {
        if b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3 }  // UTF-8 byte order mark
        let v = try value()
        skipWhitespace()
        if i < b.count { throw error("unexpected \(describe(b[i])) after the JSON value") }
        return v
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while i < b.count {
            let c = b[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    private func error(_ message: String, at offset: Int? = nil) -> JSONError {
        JSONError(offset: offset ?? i, message: message)
    }

    private func describe(_ c: UInt8) -> String {
        c >= 0x20 && c < 0x7F ? "character '\(Character(Unicode.Scalar(c)))'" : "byte 0x\(String(c, radix: 16))"
    }

    private mutating func value() throws(JSONError) -> Value {
        skipWhitespace()
        guard i < b.count else { throw error("unexpected end of input") }
        switch b[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), 0x30...0x39: return try number()
        default: throw error("unexpected \(describe(b[i]))")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        let w = UnsafeBufferPointer(start: word.utf8Start, count: n)
        guard i + n <= b.count, b[i..<(i + n)].elementsEqual(w) else { throw error("invalid literal, expected '\(word)'") }
        i += n
    }

    @inline(__always)
    private mutating func push(_ key: String, _ v: Value) {
        if top < valueStack.count {
            keyStack[top] = key
            valueStack[top] = v
        } else {
            keyStack.append(key)
            valueStack.append(v)
        }
        top += 1
    }

    /// Moves a value out of the stack, so no second reference outlives the parse.
    @inline(__always)
    private mutating func take(_ k: Int) -> Value {
        var v = Value.null
        swap(&v, &valueStack[k])
        return v
    }

    private mutating func enter(_ open: Int) throws(JSONError) {
        depth += 1
        if depth > JSON.maxDepth { throw error("nesting deeper than \(JSON.maxDepth) levels", at: open) }
    }

    private mutating func object() throws(JSONError) -> Value {
        let open = i
        i += 1
        try enter(open)
        defer { depth -= 1 }
        skipWhitespace()
        if i < b.count && b[i] == UInt8(ascii: "}") { i += 1; return .object(FieldMap()) }
        let base = top
        while true {
            skipWhitespace()
            guard i < b.count else { throw error("unexpected end of input in object") }
            guard b[i] == UInt8(ascii: "\"") else { throw error("expected a string key, found \(describe(b[i]))") }
            let key = try string()
            skipWhitespace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw error("expected ':' after object key") }
            i += 1
            let v = try value()
            push(key, v)
            skipWhitespace()
            guard i < b.count else { throw error("unexpected end of input in object") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") {
                i += 1
                var m = FieldMap(minimumCapacity: top - base)
                for k in base..<top { m.set(keyStack[k], take(k)) }
                top = base
                return .object(m)
            }
            throw error("expected ',' or '}' in object, found \(describe(b[i]))")
        }
    }

    private mutating func array() throws(JSONError) -> Value {
        let open = i
        i += 1
        try enter(open)
        defer { depth -= 1 }
        skipWhitespace()
        if i < b.count && b[i] == UInt8(ascii: "]") { i += 1; return .array([]) }
        let base = top
        while true {
            let v = try value()
            push("", v)
            skipWhitespace()
            guard i < b.count else { throw error("unexpected end of input in array") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "]") {
                i += 1
                var a: [Value] = []
                a.reserveCapacity(top - base)
                for k in base..<top { a.append(take(k)) }
                top = base
                return .array(a)
            }
            throw error("expected ',' or ']' in array, found \(describe(b[i]))")
        }
    }

    // MARK: strings

    private mutating func string() throws(JSONError) -> String {
        let quote = i
        i += 1
        let start = i
        i = jsonSpecialByteIndex(b, from: i)
        if i < b.count && b[i] == UInt8(ascii: "\"") {
            i += 1
            return makeString(UnsafeBufferPointer(rebasing: b[start..<(i - 1)]))
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i]))
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                if let s = scratch.withUnsafeBufferPointer({ JSONParser.isASCII($0) ? String(decoding: $0, as: UTF8.self)
                                                                                  : String(validating: $0, as: UTF8.self) }) { return s }
                replacedUTF8 = true
                return String(decoding: scratch, as: UTF8.self)
            } else if c == UInt8(ascii: "\\") {
                try escape()
            } else if c < 0x20 {
                throw error("unescaped control character in string")
            } else {
                scratch.append(c)
                i += 1
            }
        }
        throw error("unterminated string", at: quote)
    }

    /// Valid UTF-8 as it is; anything else repaired with U+FFFD, and noted. ASCII, the common
    /// case, skips `String(validating:)`, which costs far more than `String(decoding:)`.
    @inline(__always)
    private mutating func makeString(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if JSONParser.isASCII(bytes) { return String(decoding: bytes, as: UTF8.self) }
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        replacedUTF8 = true
        return String(decoding: bytes, as: UTF8.self)
    }

    @inline(__always)
    private static func isASCII(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = b.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var bits: UInt64 = 0
        var k = 0
        while k + 8 <= b.count {
            bits |= raw.loadUnaligned(fromByteOffset: k, as: UInt64.self)
            k += 8
        }
        while k < b.count { bits |= UInt64(b[k]); k += 1 }
        return bits & 0x8080_8080_8080_8080 == 0
    }

    private mutating func escape() throws(JSONError) {
        let at = i
        i += 1
        guard i < b.count else { throw error("unterminated string") }
        let c = b[i]
        i += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(c)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            guard let unit = hex4(at: i) else { throw error("invalid \\u escape", at: at) }
            i += 4
            var scalar = unit
            if unit >= 0xD800 && unit <= 0xDBFF {
                // A high surrogate must be followed by an escaped low one; alone it becomes U+FFFD.
                if i + 6 <= b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u"),
                   let low = hex4(at: i + 2), low >= 0xDC00 && low <= 0xDFFF {
                    scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                } else {
                    scalar = 0xFFFD
                    replacedUTF8 = true
                }
            } else if unit >= 0xDC00 && unit <= 0xDFFF {
                scalar = 0xFFFD
                replacedUTF8 = true
            }
            appendUTF8(scalar)
        default:
            throw error("invalid escape '\\\(Character(Unicode.Scalar(c)))'", at: at)
        }
    }

    private func hex4(at j: Int) -> UInt32? {
        guard j + 4 <= b.count else { return nil }
        var v: UInt32 = 0
        for k in j..<(j + 4) {
            let c = b[k]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 97...102: d = UInt32(c - 87)
            case 65...70: d = UInt32(c - 55)
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }

    private mutating func appendUTF8(_ s: UInt32) {
        switch s {
        case 0..<0x80:
            scratch.append(UInt8(s))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | s >> 6)); scratch.append(UInt8(0x80 | s & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | s >> 12)); scratch.append(UInt8(0x80 | s >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | s & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | s >> 18)); scratch.append(UInt8(0x80 | s >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | s >> 6 & 0x3F)); scratch.append(UInt8(0x80 | s & 0x3F))
        }
    }

    // MARK: numbers

    private mutating func number() throws(JSONError) -> Value {
        let start = i
        let negative = b[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        guard i < b.count, JSONParser.isDigit(b[i]) else { throw error("invalid number", at: start) }
        var mantissa: UInt64 = 0
        var significant = 0     // digits held in `mantissa`, leading zeros excluded
        var inexact = false     // more than 19 significant digits: take the slow path
        var exp10 = 0
        @inline(__always) func add(_ c: UInt8, fraction: Bool) {
            if significant < 19 {
                mantissa = mantissa * 10 + UInt64(c - 48)
                if mantissa != 0 { significant += 1 }
                if fraction { exp10 -= 1 }
            } else {
                inexact = true
                if !fraction { exp10 += 1 }
            }
        }
        if b[i] == UInt8(ascii: "0") {
            i += 1
            if i < b.count && JSONParser.isDigit(b[i]) { throw error("leading zeros are not allowed", at: start) }
        } else {
            while i < b.count && JSONParser.isDigit(b[i]) { add(b[i], fraction: false); i += 1 }
        }
        var integral = true
        if i < b.count && b[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            guard i < b.count && JSONParser.isDigit(b[i]) else { throw error("expected a digit after '.'") }
            while i < b.count && JSONParser.isDigit(b[i]) { add(b[i], fraction: true); i += 1 }
        }
        if i < b.count && (b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E")) {
            integral = false
            i += 1
            var expNegative = false
            if i < b.count && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) {
                expNegative = b[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < b.count && JSONParser.isDigit(b[i]) else { throw error("expected a digit in exponent") }
            var e = 0
            while i < b.count && JSONParser.isDigit(b[i]) {
                if e < 100_000 { e = e * 10 + Int(b[i] - 48) }
                i += 1
            }
            exp10 += expNegative ? -e : e
        }
        if integral && !inexact {
            if mantissa <= UInt64(Int64.max) { return .int(negative ? -Int64(mantissa) : Int64(mantissa)) }
            if negative && mantissa == UInt64(Int64.max) + 1 { return .int(Int64.min) }
        } else if !inexact && mantissa <= 1 << 53 && exp10 >= -22 && exp10 <= 22 {
            // Both operands are exact doubles, so one IEEE operation rounds correctly (Clinger's fast path).
            var d = Double(mantissa)
            d = exp10 < 0 ? d / JSONWriter.powersOf10[-exp10] : d * JSONWriter.powersOf10[exp10]
            if negative { d = -d }
            // Up to 15 significant digits always read back from the double; 16 may not.
            if significant <= 15 { return .double(d) }
            return exactDouble(d, start)
        }
        // Integers beyond Int64 keep their digits, as Logstash keeps a BigInteger.
        if integral { return .number(NumberLiteral(unchecked: text(from: start))) }
        guard let d = Double(text(from: start)) else { throw error("invalid number", at: start) }
        return exactDouble(d, start)
    }

    /// `d` if it holds the number written at `start..<i`; else the digits, as Logstash keeps a
    /// BigDecimal: more digits than a double keeps, or beyond its range (`1e999`, `1e-999`).
    private func exactDouble(_ d: Double, _ start: Int) -> Value {
        let written = UnsafeBufferPointer(rebasing: b[start..<i])
        if NumberLiteral.doubleHoldsExactly(d, written) { return .double(d) }
        return .number(NumberLiteral(unchecked: text(from: start)))
    }

    private func text(from start: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
    }

    @inline(__always)
    private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
}
