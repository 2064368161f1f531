/// Ruby's `CSV.parse_line` (csv gem 3.x, strict mode), which Logstash's csv filter calls.
///
/// Reads the first row only. The row separator is detected as Ruby does (the first `\r\n`,
/// `\r` or `\n` in the text). Unquoted empty fields are nil, quoted empty fields `""`; a quote
/// doubles to escape itself; separators and newlines may appear inside quotes. Ruby's errors
/// are kept: a quote inside an unquoted field, text after a closing quote, an unclosed quote,
/// or a stray newline in an unquoted field.
struct CSVLineParser {
    let separator: [UInt8]
    let quote: [UInt8]

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    /// The fields of the first row; nil for empty text, `[]` for an empty first line.
    func parse(_ text: String) throws(Malformed) -> [String?]? {
        var copy = text
        // `withUTF8` rethrows untyped errors, so the typed failure travels in a Result.
        return try copy.withUTF8 { b -> Result<[String?]?, Malformed> in
            guard !b.isEmpty else { return .success(nil) }
            return Result { () throws(Malformed) -> [String?]? in try parseRow(b, rowSeparator: Self.rowSeparator(b)) }
        }.get()
    }

    /// Ruby's `detect_row_separator`: the first LF, and a CR before it if any.
    static func rowSeparator(_ b: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        let lfIndex = b.firstIndex(of: lf)
        let crIndex = b[..<(lfIndex ?? b.count)].firstIndex(of: cr)
        switch (crIndex, lfIndex) {
        case let (c?, l?): return c + 1 == l ? [cr, lf] : [cr]
        case (_?, nil): return [cr]
        default: return [lf]
        }
    }

    private func parseRow(_ b: UnsafeBufferPointer<UInt8>, rowSeparator rs: [UInt8]) throws(Malformed) -> [String?] {
        var fields: [String?] = []
        var pos = 0
        if starts(b, at: 0, with: rs) { return [] }
        while true {
            if !quote.isEmpty && starts(b, at: pos, with: quote) {
                // Quoted field: up to the closing quote; a doubled quote is one quote.
                pos += quote.count
                var value: [UInt8] = []
                while true {
                    guard let close = find(quote, in: b, from: pos) else {
                        throw Malformed(description: "Unclosed quoted field in line 1.")
                    }
                    value.append(contentsOf: b[pos..<close])
                    pos = close + quote.count
                    guard starts(b, at: pos, with: quote) else { break }
                    value.append(contentsOf: quote)
                    pos += quote.count
                }
                fields.append(String(decoding: value, as: UTF8.self))
                if pos == b.count || starts(b, at: pos, with: rs) { return fields }
                guard starts(b, at: pos, with: separator) else {
                    throw Malformed(description: "Any value after quoted field isn't allowed in line 1.")
                }
                pos += separator.count
                if pos == b.count { fields.append(nil); return fields }
                continue
            }
            // Unquoted field: up to a separator, the row separator or the end.
            let start = pos
            var endsRow = true
            while pos < b.count {
                if starts(b, at: pos, with: separator) { endsRow = false; break }
                if starts(b, at: pos, with: rs) { break }
                let c = b[pos]
                if c == UInt8(ascii: "\r") || c == UInt8(ascii: "\n") {
                    let shown = c == UInt8(ascii: "\r") ? "\\r" : "\\n"
                    throw Malformed(description: "Unquoted fields do not allow new line <\"\(shown)\"> in line 1.")
                }
                if !quote.isEmpty && starts(b, at: pos, with: quote) {
                    throw Malformed(description: "Illegal quoting in line 1.")
                }
                pos += 1
            }
            fields.append(pos == start ? nil : String(decoding: UnsafeBufferPointer(rebasing: b[start..<pos]), as: UTF8.self))
            if endsRow { return fields }
            pos += separator.count
            if pos == b.count { fields.append(nil); return fields }
        }
    }

    @inline(__always)
    private func starts(_ b: UnsafeBufferPointer<UInt8>, at i: Int, with s: [UInt8]) -> Bool {
        guard i + s.count <= b.count else { return false }
        for k in 0..<s.count where b[i + k] != s[k] { return false }
        return true
    }

    private func find(_ s: [UInt8], in b: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        var i = from
        while i + s.count <= b.count {
            if starts(b, at: i, with: s) { return i }
            i += 1
        }
        return nil
    }
}
