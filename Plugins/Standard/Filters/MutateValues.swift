import SluiceCore

/// The `convert` targets of `mutate`, with Logstash's conversion rules. A value that cannot
/// be converted is left as it is (as Logstash does for booleans), never replaced by 0.
enum MutateConversion: String, CaseIterable {
    case integer
    case integerEU = "integer_eu"
    case float
    case floatEU = "float_eu"
    case string
    case boolean

    /// Converts a field value in place: arrays element by element (nulls kept), hashes and
    /// nulls untouched.
    func apply(to v: inout Value) {
        switch v {
        case .null, .object:
            return
        case .array(var a):
            v = .null  // keep `a` uniquely referenced while converting
            for i in a.indices where !a[i].isNull { a[i] = converted(a[i]) }
            v = .array(a)
        default:
            v = converted(v)
        }
    }

    func converted(_ v: Value) -> Value {
        switch self {
        case .integer: return Self.integer(v, eu: false)
        case .integerEU: return Self.integer(v, eu: true)
        case .float: return Self.float(v, eu: false)
        case .floatEU: return Self.float(v, eu: true)
        case .string: if case .string = v { return v }; return .string(v.renderedString)
        case .boolean: return Self.boolean(v)
        }
    }

    /// Strings are parsed ("1,000" is 1000, "7.9" is 7, "1e3" is 1000, "0x1A" is 26),
    /// floats truncated, booleans 1/0, timestamps epoch seconds.
    private static func integer(_ v: Value, eu: Bool) -> Value {
        switch v {
        case .int: return v
        case .bool(let b): return .int(b ? 1 : 0)
        case .double(let d): return truncated(d).map(Value.int) ?? v
        case .number(let n): return n.isIntegral ? v : (truncated(n.doubleValue).map(Value.int) ?? v)  // a Bignum stays whole
        case .timestamp(let t): return .int(t.epochSeconds)
        case .string(let s):
            switch NumberText.parse(s, eu: eu) {
            case .integer(let i)?: return .int(i)
            case .decimal(let d, let integral)?: return (integral ?? truncated(d)).map(Value.int) ?? v
            case nil: return v
            }
        default: return v
        }
    }

    private static func float(_ v: Value, eu: Bool) -> Value {
        switch v {
        case .double: return v
        case .int(let i): return .double(Double(i))
        case .number(let n): return n.doubleValue.isFinite ? .double(n.doubleValue) : v
        case .bool(let b): return .double(b ? 1 : 0)
        case .timestamp(let t): return .double(Double(t.nanoseconds) / 1e9)
        case .string(let s):
            switch NumberText.parse(s, eu: eu) {
            case .integer(let i)?: return .double(Double(i))
            case .decimal(let d, _)?: return .double(d)
            case nil: return v
            }
        default: return v
        }
    }

    /// true/t/yes/y/1/1.0 and false/f/no/n/0/0.0 (any case), the empty string is false,
    /// numbers 1 and 0 convert; everything else passes through.
    private static func boolean(_ v: Value) -> Value {
        switch v {
        case .bool: return v
        case .int(1): return .bool(true)
        case .int(0): return .bool(false)
        case .double(let d):
            if d == 1 { return .bool(true) }
            if d == 0 && d.sign == .plus { return .bool(false) }  // Ruby's "-0.0" matches neither
            return v
        case .string(let s):
            if s.isEmpty { return .bool(false) }
            guard s.utf8.count <= 5 else { return v }
            switch s.lowercased() {
            case "true", "t", "yes", "y", "1", "1.0": return .bool(true)
            case "false", "f", "no", "n", "0", "0.0": return .bool(false)
            default: return v
            }
        default: return v
        }
    }

    private static func truncated(_ d: Double) -> Int64? {
        guard d.isFinite, d >= -9_223_372_036_854_775_808.0, d < 9_223_372_036_854_775_808.0 else { return nil }
        return Int64(d)
    }
}

/// Parses numeric text the way mutate's convert does: surrounding whitespace ignored, `,`
/// group separators dropped (for `_eu`: `.` groups and `,` decimals), optional sign,
/// decimal digits with optional fraction and exponent, or `0x` hex.
enum NumberText {
    enum Parsed: Equatable {
        case integer(Int64)
        /// A number with a fraction or exponent; `integral` is its exact integer part when
        /// there is no exponent (so "9007199254740993.5" truncates exactly).
        case decimal(Double, integral: Int64?)
    }

    static func parse(_ text: String, eu: Bool) -> Parsed? {
        var b: [UInt8] = []
        b.reserveCapacity(text.utf8.count)
        for c in text.utf8 {
            switch c {
            case UInt8(ascii: ","): if eu { b.append(UInt8(ascii: ".")) }
            case UInt8(ascii: "."): if !eu { b.append(c) }
            default: b.append(c)
            }
        }
        var lo = 0, hi = b.count
        while lo < hi, isRubySpace(b[lo]) { lo += 1 }
        while hi > lo, isRubySpace(b[hi - 1]) { hi -= 1 }
        guard lo < hi else { return nil }

        var i = lo
        var negative = false
        if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { negative = b[i] == UInt8(ascii: "-"); i += 1 }

        if i + 1 < hi, b[i] == UInt8(ascii: "0"), b[i + 1] | 0x20 == UInt8(ascii: "x") {
            guard i + 2 < hi, b[(i + 2)..<hi].allSatisfy(isHexDigit),
                  let magnitude = UInt64(String(decoding: b[(i + 2)..<hi], as: UTF8.self), radix: 16) else {
                return nil
            }
            return signed(magnitude, negative).map(Parsed.integer)
        }

        let intStart = i
        while i < hi, isDigit(b[i]) { i += 1 }
        let intEnd = i
        var digits = intEnd - intStart
        var hasFraction = false, hasExponent = false
        if i < hi, b[i] == UInt8(ascii: ".") {
            hasFraction = true
            i += 1
            let fracStart = i
            while i < hi, isDigit(b[i]) { i += 1 }
            digits += i - fracStart
        }
        guard digits > 0 else { return nil }
        if i < hi, b[i] | 0x20 == UInt8(ascii: "e") {
            hasExponent = true
            i += 1
            if i < hi, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            let expStart = i
            while i < hi, isDigit(b[i]) { i += 1 }
            guard i > expStart else { return nil }
        }
        guard i == hi else { return nil }

        let integral: Int64?
        if intEnd > intStart {
            integral = UInt64(String(decoding: b[intStart..<intEnd], as: UTF8.self)).flatMap { signed($0, negative) }
        } else {
            integral = 0
        }
        if !hasFraction && !hasExponent {
            // Too large for Int64: still a valid number, so keep it as a float.
            if let integral { return .integer(integral) }
        }
        guard let d = Double(String(decoding: b[lo..<hi], as: UTF8.self)), d.isFinite else { return nil }
        return .decimal(d, integral: hasExponent ? nil : integral)
    }

    private static func signed(_ magnitude: UInt64, _ negative: Bool) -> Int64? {
        if negative {
            if magnitude == UInt64(Int64.max) + 1 { return Int64.min }
            return magnitude <= UInt64(Int64.max) ? -Int64(magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    @inline(__always) static func isHexDigit(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20 >= 97 && c | 0x20 <= 102) }
    /// Ruby's `strip` set: NUL, \t, \n, \v, \f, \r and space.
    @inline(__always) static func isRubySpace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) || c == 0 }
}

/// String operations of `mutate`, with Ruby's semantics.
enum MutateText {
    /// Applies `transform` to a string, or to each string of an array; other values stay.
    static func mapStrings(_ v: inout Value, _ transform: (String) -> String) {
        switch v {
        case .string(let s):
            v = .string(transform(s))
        case .array(var a):
            v = .null
            for i in a.indices {
                if case .string(let s) = a[i] { a[i] = .string(transform(s)) }
            }
            v = .array(a)
        default:
            break
        }
    }

    /// Ruby's `capitalize`: first character uppercase, the rest lowercase.
    static func capitalized(_ s: String) -> String {
        guard let first = s.first else { return s }
        return first.uppercased() + s.dropFirst().lowercased()
    }

    /// Ruby's `strip`: removes leading and trailing ASCII whitespace and NULs.
    static func stripped(_ s: String) -> String {
        let u = s.utf8
        var start = u.startIndex, end = u.endIndex
        while start < end, NumberText.isRubySpace(u[start]) { start = u.index(after: start) }
        while end > start, NumberText.isRubySpace(u[u.index(before: end)]) { end = u.index(before: end) }
        if start == u.startIndex && end == u.endIndex { return s }
        return String(s[start..<end])
    }

    /// Ruby's `String#split(separator)`: `" "` splits on whitespace runs ignoring leading
    /// whitespace, `""` splits into characters, and trailing empty fields are removed.
    static func split(_ s: String, by separator: String) -> [String] {
        if separator.isEmpty { return s.map(String.init) }
        let bytes = Array(s.utf8)
        var parts: [String] = []
        if separator == " " {
            var i = 0
            while i < bytes.count {
                while i < bytes.count, isAwkSpace(bytes[i]) { i += 1 }
                let start = i
                while i < bytes.count, !isAwkSpace(bytes[i]) { i += 1 }
                if i > start { parts.append(String(decoding: bytes[start..<i], as: UTF8.self)) }
            }
            return parts
        }
        let sep = Array(separator.utf8)
        var start = 0, i = 0
        while i + sep.count <= bytes.count {
            if bytes[i] == sep[0] && bytes[i..<(i + sep.count)].elementsEqual(sep) {
                parts.append(String(decoding: bytes[start..<i], as: UTF8.self))
                i += sep.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(String(decoding: bytes[start...], as: UTF8.self))
        while parts.last?.isEmpty == true { parts.removeLast() }
        return parts
    }

    /// Ruby's `Array#join`: nested arrays joined with the same separator, nil as "".
    static func join(_ values: [Value], _ separator: String) -> String {
        var out = ""
        for (i, v) in values.enumerated() {
            if i > 0 { out += separator }
            switch v {
            case .array(let nested): out += join(nested, separator)
            case .null: break
            default: out += v.renderedString
            }
        }
        return out
    }

    @inline(__always) private static func isAwkSpace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }
}
