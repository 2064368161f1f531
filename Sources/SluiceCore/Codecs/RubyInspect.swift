/// Ruby's `inspect` forms and amazing_print's multi-line layout, for `rubydebug`.
enum RubyInspect {
    static let step = 4

    static func appendValue(_ v: Value, indentation: Int, _ out: inout [UInt8]) {
        switch v {
        case .null: JSONWriter.appendASCII("nil", &out)
        case .bool(let b): JSONWriter.appendASCII(b ? "true" : "false", &out)
        case .int(let n): JSONWriter.appendInt(n, &out)
        case .double(let d):
            if d.isNaN { JSONWriter.appendASCII("NaN", &out) }
            else if d.isInfinite { JSONWriter.appendASCII(d < 0 ? "-Infinity" : "Infinity", &out) }
            else { JSONWriter.appendDouble(d, &out) }
        case .number(let n): out.append(contentsOf: n.text.utf8)
        case .string(let s): out.append(contentsOf: inspect(s))
        case .timestamp(let t): t.appendISO8601(to: &out)  // LogStash::Timestamp#inspect: no quotes
        case .array(let a): appendArray(a, indentation: indentation, &out)
        case .object(let m): appendHash(m, indentation: indentation, &out)
        }
    }

    /// `indentation` is the column of this hash's keys' padding (amazing_print's current indentation).
    static func appendHash(_ m: FieldMap, indentation: Int, _ out: inout [UInt8]) {
        guard !m.isEmpty else { JSONWriter.appendASCII("{}", &out); return }
        let entries = m.entries.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        let keys = entries.map { inspect($0.key) }
        let widths = keys.map(characterCount)
        let width = (widths.max() ?? 0) + indentation
        out.append(contentsOf: [UInt8(ascii: "{"), 0x0A])
        for (n, e) in entries.enumerated() {
            spaces(width - widths[n], &out)
            out.append(contentsOf: keys[n])
            JSONWriter.appendASCII(" => ", &out)
            appendValue(e.value, indentation: indentation + step, &out)
            if n < entries.count - 1 { out.append(UInt8(ascii: ",")) }
            out.append(0x0A)
        }
        spaces(indentation - step, &out)
        out.append(UInt8(ascii: "}"))
    }

    static func appendArray(_ a: [Value], indentation: Int, _ out: inout [UInt8]) {
        guard !a.isEmpty else { JSONWriter.appendASCII("[]", &out); return }
        let indexWidth = String(a.count - 1).count
        out.append(contentsOf: [UInt8(ascii: "["), 0x0A])
        for (n, e) in a.enumerated() {
            spaces(indentation, &out)
            out.append(UInt8(ascii: "["))
            let digits = String(n)
            spaces(indexWidth - digits.count, &out)
            out.append(contentsOf: digits.utf8)
            JSONWriter.appendASCII("] ", &out)
            appendValue(e, indentation: indentation + step, &out)
            if n < a.count - 1 { out.append(UInt8(ascii: ",")) }
            out.append(0x0A)
        }
        spaces(indentation - step, &out)
        out.append(UInt8(ascii: "]"))
    }

    /// Ruby's `String#inspect` for UTF-8 text: quotes, backslash escapes, `\#` before `{$@`,
    /// `\uXXXX` for other control characters.
    static func inspect(_ s: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        let scalars = Array(s.unicodeScalars)
        for (k, u) in scalars.enumerated() {
            switch u {
            case "\"": JSONWriter.appendASCII("\\\"", &out)
            case "\\": JSONWriter.appendASCII("\\\\", &out)
            case "\n": JSONWriter.appendASCII("\\n", &out)
            case "\r": JSONWriter.appendASCII("\\r", &out)
            case "\t": JSONWriter.appendASCII("\\t", &out)
            case "\u{0C}": JSONWriter.appendASCII("\\f", &out)
            case "\u{0B}": JSONWriter.appendASCII("\\v", &out)
            case "\u{08}": JSONWriter.appendASCII("\\b", &out)
            case "\u{07}": JSONWriter.appendASCII("\\a", &out)
            case "\u{1B}": JSONWriter.appendASCII("\\e", &out)
            case "#":
                let next = k + 1 < scalars.count ? scalars[k + 1] : " "
                if next == "{" || next == "$" || next == "@" { out.append(UInt8(ascii: "\\")) }
                out.append(UInt8(ascii: "#"))
            case "\u{00}"..."\u{1F}", "\u{7F}"..."\u{9F}":
                JSONWriter.appendASCII("\\u", &out)
                let v = UInt8(truncatingIfNeeded: u.value)
                out.append(contentsOf: [48, 48, upperHex(v >> 4), upperHex(v & 0xF)])
            default:
                out.append(contentsOf: String(u).utf8)
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }

    private static func upperHex(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 55 + v }

    /// Ruby's `String#size`: characters are code points.
    private static func characterCount(_ bytes: [UInt8]) -> Int {
        bytes.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
    }

    private static func spaces(_ n: Int, _ out: inout [UInt8]) {
        if n > 0 { out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: n)) }
    }
}
