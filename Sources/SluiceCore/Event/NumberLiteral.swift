/// A number kept as its decimal text because neither `.int` (Int64) nor `.double` holds it
/// exactly: integers beyond Int64 (`123456789012345678901234567890`), decimals with more
/// digits than a double keeps, and magnitudes a double cannot reach (`1e999`, `1e-999`).
/// As Logstash keeps BigInteger/BigDecimal: the JSON codecs write the digits back verbatim,
/// conditions compare it exactly with other numbers, `mutate convert` turns it into a float.
public struct NumberLiteral: Sendable, Hashable, CustomStringConvertible {
    /// The number as it was written: JSON number syntax (`-?digits[.digits][e[+-]digits]`).
    public let text: String

    /// Nil unless `text` is a JSON number.
    public init?(_ text: String) {
        guard Self.isJSONNumber(text.utf8) else { return nil }
        self.text = text
    }

    init(unchecked text: String) { self.text = text }

    public var description: String { text }

    /// Written without a fraction or exponent.
    public var isIntegral: Bool {
        !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }

    /// The nearest double (±infinity or ±0 beyond a double's range).
    public var doubleValue: Double { Double(text) ?? .nan }

    /// Exact numeric order of two numbers given as decimal text: -1, 0 or 1.
    public static func compare(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Int {
        let x = DecimalForm(a), y = DecimalForm(b)
        if x.isZero && y.isZero { return 0 }
        if x.negative != y.negative || x.isZero || y.isZero {
            // Signs differ, or one side is zero: the sign of the other decides.
            let sx = x.isZero ? 0 : (x.negative ? -1 : 1), sy = y.isZero ? 0 : (y.negative ? -1 : 1)
            return sx < sy ? -1 : (sx > sy ? 1 : 0)
        }
        var m: Int  // order of the magnitudes
        if x.exponent != y.exponent {
            m = x.exponent < y.exponent ? -1 : 1
        } else if x.digits == y.digits {
            m = 0
        } else {
            m = x.digits.lexicographicallyPrecedes(y.digits) ? -1 : 1
        }
        if x.negative { m = -m }
        return m
    }

    /// Whether `d`, printed in its shortest form, has the value the decimal `text` has:
    /// false when a double would change the number (lost digits, overflow, underflow).
    static func doubleHoldsExactly(_ d: Double, _ text: some Collection<UInt8>) -> Bool {
        guard d.isFinite else { return false }
        return compare(d.description.utf8, text) == 0
    }

    static func isJSONNumber(_ s: some Collection<UInt8>) -> Bool {
        var it = s.makeIterator()
        var c = it.next()
        func digits() -> Int {
            var n = 0
            while let d = c, d >= 48 && d <= 57 { n += 1; c = it.next() }
            return n
        }
        if c == UInt8(ascii: "-") { c = it.next() }
        if c == UInt8(ascii: "0") { c = it.next() } else if digits() == 0 { return false }
        if c == UInt8(ascii: ".") { c = it.next(); if digits() == 0 { return false } }
        if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            c = it.next()
            if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { c = it.next() }
            if digits() == 0 { return false }
        }
        return c == nil
    }
}

/// A decimal as sign, significant digits (no leading or trailing zeros) and the exponent
/// that makes it `0.d1d2… × 10^exponent`. Reads JSON numbers and Swift's `Double.description`.
private struct DecimalForm {
    var negative = false
    var digits: [UInt8] = []
    var exponent = 0
    var isZero: Bool { digits.isEmpty }

    init(_ text: some Collection<UInt8>) {
        var intDigits = 0, leadingZeros = 0, exp = 0
        var seenPoint = false, inExponent = false, expNegative = false
        for c in text {
            switch c {
            case UInt8(ascii: "-"): if inExponent { expNegative = true } else { negative = true }
            case UInt8(ascii: "."): seenPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
            case 48...57:
                if inExponent {
                    if exp < 1_000_000 { exp = exp * 10 + Int(c - 48) }
                } else if digits.isEmpty && c == 48 {
                    if seenPoint { leadingZeros += 1 }
                } else {
                    digits.append(c)
                    if !seenPoint { intDigits += 1 }
                }
            default: break
            }
        }
        while digits.last == 48 { digits.removeLast() }
        exponent = (intDigits > 0 ? intDigits : -leadingZeros) + (expNegative ? -exp : exp)
    }
}
