extension JSON {
    /// A float as Logstash (Ruby's `Float#to_s`) prints it: the shortest digits that read back
    /// to the same double, always with a fraction (`1.0`, `0.1`), in exponent form below 1e-4
    /// and from 1e16 on (`1.0e-05`, `1.0e+16`). NaN and infinities, which JSON lacks, are `null`.
    public static func formatDouble(_ d: Double) -> String {
        var out: [UInt8] = []
        JSONWriter.appendDouble(d, &out)
        return String(decoding: out, as: UTF8.self)
    }
}

extension JSONWriter {
    /// Exact powers of ten (up to 1e22 every one is a double), for the parser's fast path.
    static let powersOf10: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

    static func appendDouble<S: ByteSink & ~Copyable>(_ d: Double, _ out: inout S) {
        guard d.isFinite else { appendASCII("null", &out); return }
        // Whole numbers below 1e15 are common (counters, sizes) and need no digit search.
        if d == d.rounded(.towardZero) && abs(d) < 1e15 {
            if d == 0 && d.sign == .minus { out.append(UInt8(ascii: "-")) }
            appendInt(Int64(d), &out)
            appendASCII(".0", &out)
            return
        }
        if appendShortDecimal(d, &out) { return }
        // Swift's description is the shortest round-trip form; take its digits and exponent
        // and lay them out as Ruby does.
        let text = d.description
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { (digits: UnsafeMutableBufferPointer<UInt8>) -> Void in
            var n = 0                 // significant digits stored
            var intDigits = 0         // significant digits before the point
            var leadingZeros = 0      // zeros right after "0." before the first significant digit
            var seenPoint = false, negative = false
            var exponent = 0, expNegative = false, inExponent = false
            for c in text.utf8 {
                switch c {
                case UInt8(ascii: "-"): if inExponent { expNegative = true } else { negative = true }
                case UInt8(ascii: "+"): break
                case UInt8(ascii: "."): seenPoint = true
                case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
                case 48...57:
                    if inExponent { exponent = exponent * 10 + Int(c - 48); continue }
                    if n == 0 && c == 48 { if seenPoint { leadingZeros += 1 }; continue }
                    if n < digits.count { digits[n] = c; n += 1 }
                    if !seenPoint { intDigits += 1 }
                default: break
                }
            }
            while n > 1 && digits[n - 1] == 48 { n -= 1 }
            // value = 0.d1d2...dn × 10^decpt
            let decpt = (intDigits > 0 ? intDigits : -leadingZeros) + (expNegative ? -exponent : exponent)
            if negative { out.append(UInt8(ascii: "-")) }
            if decpt > 0 && decpt <= 16 {
                for k in 0..<decpt { out.append(k < n ? digits[k] : 48) }
                out.append(UInt8(ascii: "."))
                if n > decpt { for k in decpt..<n { out.append(digits[k]) } } else { out.append(48) }
            } else if decpt > -4 && decpt <= 0 {
                appendASCII("0.", &out)
                for _ in 0 ..< -decpt { out.append(48) }
                for k in 0..<n { out.append(digits[k]) }
            } else {
                out.append(digits[0])
                out.append(UInt8(ascii: "."))
                if n > 1 { for k in 1..<n { out.append(digits[k]) } } else { out.append(48) }
                out.append(UInt8(ascii: "e"))
                let e = decpt - 1
                out.append(e < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                if abs(e) < 10 { out.append(48) }
                appendInt(Int64(abs(e)), &out)
            }
        }
    }

    /// Fast path for the decimals logs are full of (`0.0123`, `52.52`): the fewest fraction
    /// digits `k` whose integer `m = d × 10^k` divides back to exactly `d`. Both `m` and `10^k`
    /// are exact doubles, so the check is exact; no match (17-digit values) falls back.
    private static func appendShortDecimal<S: ByteSink & ~Copyable>(_ d: Double, _ out: inout S) -> Bool {
        let a = abs(d)
        guard a >= 1e-4 && a < 1e15 else { return false }
        for k in 1...22 {
            let scaled = (a * powersOf10[k]).rounded(.toNearestOrEven)
            guard scaled < 9_007_199_254_740_992 else { return false }  // 2^53: beyond it m is inexact
            guard scaled / powersOf10[k] == a else { continue }
            if d < 0 { out.append(UInt8(ascii: "-")) }
            // m's digits with the point k places from the right, zero-padded to "0.xxx".
            appendDigits(UInt64(scaled), fractionDigits: k, &out)
            return true
        }
        return false
    }
}
