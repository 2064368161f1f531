import SluiceCore

/// A capture's `:int` / `:float` suffix. Conversions follow Ruby's `String#to_i` and
/// `String#to_f`, as Logstash's do: leading whitespace and a sign are accepted, digits may
/// be separated by single underscores, parsing stops at the first other character, and
/// text without a number gives 0.
enum GrokConversion: String, Sendable {
    case int
    case float

    @inline(__always)
    func convert(_ b: UnsafeBufferPointer<UInt8>) -> Value {
        switch self {
        case .int: return RubyNumber.toI(b)
        case .float: return .double(RubyNumber.toF(b))
        }
    }
}

enum RubyNumber {
    @inline(__always)
    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    @inline(__always)
    private static func skipSpace(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        var i = 0
        while i < b.count, b[i] == 0x20 || (b[i] >= 0x09 && b[i] <= 0x0D) { i += 1 }
        return i
    }

    /// Ruby's `to_i`. Values beyond Int64 become the nearest double (Ruby has bignums).
    static func toI(_ b: UnsafeBufferPointer<UInt8>) -> Value {
        var i = skipSpace(b)
        var negative = false
        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") {
            negative = b[i] == UInt8(ascii: "-"); i += 1
        }
        var acc: Int64 = 0
        var digits: [UInt8]? = nil  // collected only once the value overflows
        while i < b.count {
            let c = b[i]
            if isDigit(c) {
                if digits == nil {
                    let d = Int64(c - 0x30)
                    let (m, o1) = acc.multipliedReportingOverflow(by: 10)
                    let (s, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
                    if o1 || o2 { digits = Array(String(acc).utf8) + [c] } else { acc = s }
                } else {
                    digits?.append(c)
                }
                i += 1
            } else if c == UInt8(ascii: "_"), i > 0, isDigit(b[i - 1]), i + 1 < b.count, isDigit(b[i + 1]) {
                i += 1
            } else {
                break
            }
        }
        if let digits { return .double(Double(String(decoding: digits, as: UTF8.self)) ?? 0) }
        return .int(acc)
    }

    /// Ruby's `to_f`: `[sign] digits [. digits] [e [sign] digits]`, underscores between digits.
    static func toF(_ b: UnsafeBufferPointer<UInt8>) -> Double {
        if let d = plainDecimal(b) { return d }
        var i = skipSpace(b)
        var text: [UInt8] = []
        text.reserveCapacity(min(b.count, 40))
        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { text.append(b[i]); i += 1 }
        func digits() -> Bool {
            let before = text.count
            while i < b.count {
                if isDigit(b[i]) { text.append(b[i]); i += 1 }
                else if b[i] == UInt8(ascii: "_"), i > 0, isDigit(b[i - 1]), i + 1 < b.count, isDigit(b[i + 1]) { i += 1 }
                else { break }
            }
            return text.count > before
        }
        let whole = digits()
        if i + 1 < b.count, b[i] == UInt8(ascii: "."), isDigit(b[i + 1]) {
            text.append(b[i]); i += 1
            _ = digits()
        } else if !whole {
            return 0
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            var j = i + 1
            if j < b.count, b[j] == UInt8(ascii: "-") || b[j] == UInt8(ascii: "+") { j += 1 }
            if j < b.count, isDigit(b[j]) {
                text.append(UInt8(ascii: "e"))
                if j > i + 1 { text.append(b[i + 1]) }
                i = j
                _ = digits()
            }
        }
        return Double(String(decoding: text, as: UTF8.self)) ?? 0
    }

    /// The common case without building a string: `[-+]digits[.digits]` with at most 15
    /// significant digits is m / 10^k where both are exact doubles, so one division rounds
    /// correctly (Clinger's fast path). Anything else (exponents, `_`, long numbers) is nil.
    private static let powersOf10: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
                                               1e11, 1e12, 1e13, 1e14, 1e15]

    static func plainDecimal(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = skipSpace(b)
        var negative = false
        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { negative = b[i] == UInt8(ascii: "-"); i += 1 }
        var m: UInt64 = 0
        var digits = 0, fraction = 0
        var inFraction = false
        while i < b.count {
            let c = b[i]
            if isDigit(c) {
                m = m &* 10 &+ UInt64(c &- 48)
                digits += 1
                if inFraction { fraction += 1 }
                guard digits <= 15 else { return nil }
            } else if c == UInt8(ascii: "."), !inFraction, i + 1 < b.count, isDigit(b[i + 1]) {
                inFraction = true
            } else if c == UInt8(ascii: "_") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                return nil
            } else {
                break
            }
            i += 1
        }
        guard digits > 0 else { return nil }
        let d = Double(m) / powersOf10[fraction]
        return negative ? -d : d
    }
}
