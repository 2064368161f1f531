import SluiceCore

/// The text Logstash's Ruby code makes of event values with `to_s` and string interpolation,
/// which the `fingerprint` filter hashes. Ids built from fingerprints must not change when a
/// pipeline moves from Logstash to Sluice, so every byte follows Ruby (JRuby 9.4, Ruby 3.1):
///
/// - strings as they are, `nil` as nothing, integers in decimal, floats as `Float#to_s`
///   (`1.0`, `1.0e+20`, `1.0e-05`);
/// - timestamps as ISO-8601 UTC with at least milliseconds (the fingerprint plugin refines
///   `Timestamp#to_s` so whole seconds keep `.000`);
/// - hashes and arrays as `inspect` (`{"a"=>1, "b"=>[nil, "x"]}`), hash keys sorted bytewise
///   at every level (the plugin's `deep_sort_hashes`), nested timestamps as Java's
///   `ISO_INSTANT` (no fraction for whole seconds).
enum RubyText {
    static func toS(_ v: Value, into out: inout [UInt8]) {
        switch v {
        case .null: break
        case .string(let s): out.append(contentsOf: s.utf8)
        case .timestamp(let t): t.appendISO8601(to: &out)
        default: inspect(v, into: &out)
        }
    }

    static func toS(_ v: Value) -> [UInt8] {
        var out: [UInt8] = []
        toS(v, into: &out)
        return out
    }

    static func inspect(_ v: Value, into out: inout [UInt8]) {
        switch v {
        case .null: append("nil", &out)
        case .bool(let b): append(b ? "true" : "false", &out)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): appendFloat(d, into: &out)
        case .number(let n): out.append(contentsOf: n.text.utf8)  // Integer#to_s of a Bignum; decimals as written
        case .string(let s): inspectString(s, into: &out)
        case .timestamp(let t): appendInstant(t, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { append(", ", &out) }
                inspect(e, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let m):
            out.append(UInt8(ascii: "{"))
            for (i, e) in sortedEntries(m).enumerated() {
                if i > 0 { append(", ", &out) }
                inspectString(e.key, into: &out)
                append("=>", &out)
                inspect(e.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Entries in Ruby's `Hash#sort` order: keys compared bytewise.
    static func sortedEntries(_ m: FieldMap) -> [FieldMap.Entry] {
        m.entries.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }

    /// Ruby's `Float#to_s`: the shortest round-trip digits, fixed notation when the decimal
    /// exponent is in -4 < e <= 16, otherwise `d.ddde+XX`.
    static func appendFloat(_ d: Double, into out: inout [UInt8]) {
        if d.isNaN { append("NaN", &out); return }
        if d.isInfinite { append(d < 0 ? "-Infinity" : "Infinity", &out); return }
        if d.sign == .minus { out.append(UInt8(ascii: "-")) }
        if d == 0 { append("0.0", &out); return }
        let (digits, point) = shortestDigits(abs(d))
        if point > 0 && point <= 16 {
            if digits.count <= point {
                out.append(contentsOf: digits)
                out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: point - digits.count))
                append(".0", &out)
            } else {
                out.append(contentsOf: digits[..<point])
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: digits[point...])
            }
        } else if point <= 0 && point > -4 {
            append("0.", &out)
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -point))
            out.append(contentsOf: digits)
        } else {
            out.append(digits[0])
            out.append(UInt8(ascii: "."))
            if digits.count > 1 { out.append(contentsOf: digits[1...]) } else { out.append(UInt8(ascii: "0")) }
            out.append(UInt8(ascii: "e"))
            let e = point - 1
            out.append(UInt8(ascii: e < 0 ? "-" : "+"))
            if abs(e) < 10 { out.append(UInt8(ascii: "0")) }
            out.append(contentsOf: String(abs(e)).utf8)
        }
    }

    /// The shortest significant digits of a positive finite double and the position of the
    /// decimal point (value = 0.DIGITS x 10^point), taken from Swift's shortest round-trip text.
    private static func shortestDigits(_ d: Double) -> ([UInt8], Int) {
        let text = Array(d.description.utf8)
        var mantissa = text[...]
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            mantissa = text[..<e]
            exponent = Int(String(decoding: text[(e + 1)...], as: UTF8.self)) ?? 0
        }
        var digits: [UInt8] = []
        var point = 0
        var seenPoint = false
        for c in mantissa {
            if c == UInt8(ascii: ".") { seenPoint = true; continue }
            digits.append(c)
            if !seenPoint { point += 1 }
        }
        while let first = digits.first, first == UInt8(ascii: "0"), digits.count > 1 { digits.removeFirst(); point -= 1 }
        while let last = digits.last, last == UInt8(ascii: "0"), digits.count > 1 { digits.removeLast() }
        return (digits, point + exponent)
    }

    /// Java's `DateTimeFormatter.ISO_INSTANT`: fraction in groups of three digits, none when zero.
    static func appendInstant(_ t: Timestamp, into out: inout [UInt8]) {
        var full: [UInt8] = []
        t.appendISO8601(to: &full)
        if t.subsecondNanos == 0, let dot = full.lastIndex(of: UInt8(ascii: ".")) {
            out.append(contentsOf: full[..<dot])
            out.append(UInt8(ascii: "Z"))
        } else {
            out.append(contentsOf: full)
        }
    }

    /// Ruby's `String#inspect` for UTF-8 text.
    static func inspectString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var previousWasHash = false
        for u in s.unicodeScalars {
            if previousWasHash {
                // `#` before `{`, `$` or `@` is escaped so the result reads back as the same string.
                if u == "{" || u == "$" || u == "@" { out.append(UInt8(ascii: "\\")) }
                out.append(UInt8(ascii: "#"))
                previousWasHash = false
            }
            switch u {
            case "#": previousWasHash = true
            case "\"": append("\\\"", &out)
            case "\\": append("\\\\", &out)
            case "\n": append("\\n", &out)
            case "\r": append("\\r", &out)
            case "\t": append("\\t", &out)
            case "\u{0C}": append("\\f", &out)
            case "\u{0B}": append("\\v", &out)
            case "\u{08}": append("\\b", &out)
            case "\u{07}": append("\\a", &out)
            case "\u{1B}": append("\\e", &out)
            default:
                if isPrintable(u) {
                    out.append(contentsOf: String(u).utf8)
                } else if u.value < 0x10000 {
                    append("\\u", &out)
                    let hex = String(u.value, radix: 16, uppercase: true)
                    out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: 4 - hex.utf8.count))
                    out.append(contentsOf: hex.utf8)
                } else {
                    append("\\u{", &out)
                    out.append(contentsOf: String(u.value, radix: 16, uppercase: true).utf8)
                    out.append(UInt8(ascii: "}"))
                }
            }
        }
        if previousWasHash { out.append(UInt8(ascii: "#")) }
        out.append(UInt8(ascii: "\""))
    }

    /// Onigmo's `[[:print:]]` for Unicode: everything but controls, unassigned code points,
    /// surrogates and the line/paragraph separators.
    private static func isPrintable(_ u: Unicode.Scalar) -> Bool {
        switch u.properties.generalCategory {
        case .control, .unassigned, .surrogate, .lineSeparator, .paragraphSeparator: return false
        default: return true
        }
    }

    @inline(__always)
    private static func append(_ s: StaticString, _ out: inout [UInt8]) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }
}
