/// Character-level scanning shared by the parser: blanks and comments, names, quoted
/// strings, numbers, regex literals, and the "found X" part of error messages.
extension Parser {
    var peek: UInt8? { pos < b.count ? b[pos] : nil }

    func peek(_ ahead: Int) -> UInt8? { pos + ahead < b.count ? b[pos + ahead] : nil }

    func location(_ offset: Int) -> SourceLocation { source.location(ofOffset: offset) }

    /// Skips blanks and `#` comments (which run to the end of the line or file).
    mutating func skipSpace() {
        while pos < b.count {
            switch b[pos] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                pos += 1
            case UInt8(ascii: "#"):
                while pos < b.count, b[pos] != UInt8(ascii: "\n") { pos += 1 }
            default:
                return
            }
        }
    }

    /// Consumes `text` if it is next.
    mutating func consume(_ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard pos + n <= b.count else { return false }
        let p = text.utf8Start
        for i in 0..<n where b[pos + i] != p[i] { return false }
        pos += n
        return true
    }

    /// Whether the word `kw` is next, not followed by a name character.
    func atKeyword(_ kw: StaticString) -> Bool {
        let n = kw.utf8CodeUnitCount
        guard pos + n <= b.count else { return false }
        let p = kw.utf8Start
        for i in 0..<n where b[pos + i] != p[i] { return false }
        return pos + n == b.count || !Parser.isNameByte(b[pos + n])
    }

    static func isNameByte(_ c: UInt8) -> Bool {
        isWordByte(c) || c == UInt8(ascii: "-")
    }

    static func isWordByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"): return true
        default: return false
        }
    }

    static func isDigit(_ c: UInt8?) -> Bool {
        guard let c else { return false }
        return c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")
    }

    static func isWordStart(_ c: UInt8?) -> Bool {
        guard let c else { return false }
        return isWordByte(c) && !isDigit(c)
    }

    func isQuote(_ c: UInt8?) -> Bool { c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") }

    /// A plugin, section or setting name: `[A-Za-z0-9_-]+`.
    mutating func scanName() -> String? {
        let start = pos
        while pos < b.count, Parser.isNameByte(b[pos]) { pos += 1 }
        return pos > start ? String(decoding: b[start..<pos], as: UTF8.self) : nil
    }

    /// A quoted string at `pos`, with its quotes removed and, when `support_escapes` is on,
    /// escapes processed. Without it, `\"` still does not end the string (the backslash
    /// stays, as in Logstash).
    mutating func scanString() throws(ConfigError) -> String {
        let start = pos
        let quote = b[pos]
        pos += 1
        let contentStart = pos
        while pos < b.count {
            let c = b[pos]
            if c == quote {
                let raw = String(decoding: b[contentStart..<pos], as: UTF8.self)
                pos += 1
                return options.supportEscapes ? StringEscape.process(raw) : raw
            }
            if c == UInt8(ascii: "\\"), pos + 1 < b.count, options.supportEscapes || b[pos + 1] == quote {
                pos += 2
            } else {
                pos += 1
            }
        }
        let q = quote == UInt8(ascii: "\"") ? "\"" : "'"
        throw ConfigError(location: location(start), message: "unterminated string: no closing `\(q)` before end of file",
                          note: "the string starting here runs to the end of the file")
    }

    /// A number, `-?[0-9]+(\.[0-9]*)?`, as written; letters or a second `.` right after it
    /// make it an invalid number rather than two tokens.
    mutating func scanNumber() throws(ConfigError) -> String {
        let start = pos
        if peek == UInt8(ascii: "-") { pos += 1 }
        guard Parser.isDigit(peek) else { throw expected("a number") }
        while Parser.isDigit(peek) { pos += 1 }
        if peek == UInt8(ascii: ".") {
            pos += 1
            while Parser.isDigit(peek) { pos += 1 }
        }
        if let c = peek, Parser.isNameByte(c) || c == UInt8(ascii: ".") {
            while let c = peek, Parser.isNameByte(c) || c == UInt8(ascii: ".") { pos += 1 }
            let text = String(decoding: b[start..<pos], as: UTF8.self)
            throw ConfigError(location: location(start), message: "invalid number `\(text)`",
                              note: "numbers look like `5044`, `-1` or `0.5`; quote other text: \"\(text)\"")
        }
        return String(decoding: b[start..<pos], as: UTF8.self)
    }

    /// A `/regex/` literal; returns the pattern between the slashes as written.
    mutating func scanRegex() throws(ConfigError) -> String {
        let start = pos
        pos += 1
        let contentStart = pos
        while pos < b.count {
            let c = b[pos]
            if c == UInt8(ascii: "/") {
                let pattern = String(decoding: b[contentStart..<pos], as: UTF8.self)
                pos += 1
                return pattern
            }
            // `\/` does not end the literal; neither does the second byte of `\\`.
            pos += (c == UInt8(ascii: "\\") && pos + 1 < b.count) ? 2 : 1
        }
        throw ConfigError(location: location(start), message: "unterminated regular expression: no closing `/` before end of file")
    }

    /// Replaces `${VAR}` in a value that started at `start`; an undefined variable is
    /// recorded as an error there and the text is kept.
    mutating func substitute(_ text: String, at start: Int) -> String {
        guard options.substituteVariables, text.utf8.contains(UInt8(ascii: "$")) else { return text }
        do {
            return try EnvSubstitution.substitute(text, environment: options.environment)
        } catch {
            errors.append(ConfigError(location: location(start), message: error.message))
            return text
        }
    }

    // MARK: errors

    /// "expected X, found Y" at the current position (or just after the last token at end of file).
    func expected(_ what: String, note: String? = nil) -> ConfigError {
        guard pos < b.count else {
            return ConfigError(location: endLocation, message: "expected \(what), found end of file", note: note)
        }
        return ConfigError(location: location(pos), message: "expected \(what), found \(describeToken())", note: note ?? hint())
    }

    /// A block that reached end of file without its `}`.
    func unclosed(_ what: String, openedAt: Int) -> ConfigError {
        let open = location(openedAt)
        return ConfigError(location: endLocation,
                           message: "expected `}` to close \(what) (opened at \(open.line):\(open.column)), found end of file")
    }

    /// Just after the last non-blank byte: where a missing `}` would go.
    var endLocation: SourceLocation {
        var i = b.count
        while i > 0, [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n")].contains(b[i - 1]) { i -= 1 }
        return location(i)
    }

    /// The token at `pos`, quoted for a message.
    func describeToken() -> String {
        guard pos < b.count else { return "end of file" }
        let c = b[pos]
        var end = pos + 1
        if Parser.isNameByte(c) {
            while end < b.count, Parser.isNameByte(b[end]) || (Parser.isDigit(c) && b[end] == UInt8(ascii: ".")) { end += 1 }
        } else if isQuote(c) {
            while end < b.count, b[end] != c, b[end] != UInt8(ascii: "\n"), end - pos < 40 { end += 1 }
            if end < b.count, b[end] == c { end += 1 }
        } else if pos + 1 < b.count, ["=>", "==", "!=", "<=", ">=", "=~", "!~", "&&", "||"].contains(
            String(decoding: b[pos...pos + 1], as: UTF8.self)) {
            end = pos + 2
        } else if c >= 0x80 {
            while end < b.count, b[end] & 0xC0 == 0x80 { end += 1 }
        }
        return "`" + String(decoding: b[pos..<end], as: UTF8.self) + "`"
    }

    /// A note for common slips at `pos`.
    private func hint() -> String? {
        guard pos < b.count else { return nil }
        if consumeLookahead("&&") || consumeLookahead("||") {
            return "boolean operators are written `and`, `or`, `xor`, `nand`"
        }
        return nil
    }

    private func consumeLookahead(_ text: StaticString) -> Bool {
        var copy = self
        return copy.consume(text)
    }
}
