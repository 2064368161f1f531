/// Setting values: strings, numbers, barewords, arrays, hashes and plugins (codecs).
extension Parser {
    /// A value at `pos`; `context` names what it belongs to, for messages.
    mutating func parseValue(after context: String) throws(ConfigError) -> ConfigValue {
        let start = pos
        guard let c = peek else { throw expected("a value after \(context)") }
        try enterNesting(at: start)
        defer { depth -= 1 }
        switch c {
        case UInt8(ascii: "{"):
            return try parseHash()
        case UInt8(ascii: "["):
            return try parseArray()
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            let save = pos
            let s = try scanString()
            if followedByBrace() {
                pos = save
                return .plugin(try parsePlugin(section: nil, in: context))
            }
            return .string(substitute(s, at: start))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard c != UInt8(ascii: "-") || Parser.isDigit(peek(1)) else { break }
            return .number(try scanNumber())
        default:
            guard Parser.isWordStart(c) else { break }
            let save = pos
            let word = scanName() ?? ""
            if followedByBrace() {
                pos = save
                return .plugin(try parsePlugin(section: nil, in: context))
            }
            if word.utf8.contains(UInt8(ascii: "-")) {
                throw ConfigError(location: location(start),
                                  message: "invalid bareword `\(word)`: unquoted values may hold only letters, digits and `_`",
                                  note: "quote it: \"\(word)\"")
            }
            return .bareword(word)
        }
        let note = c == UInt8(ascii: "/") ? "paths and patterns must be quoted, e.g. \"/var/log/*.log\"" : nil
        throw expected("a value (string, number, bareword, array, hash or plugin) after \(context)", note: note)
    }

    /// Whether a `{` follows (after blanks): the value before it names a plugin.
    private mutating func followedByBrace() -> Bool {
        let save = pos
        skipSpace()
        let brace = peek == UInt8(ascii: "{")
        pos = save
        return brace
    }

    /// `[ v, v, ... ]`; a trailing comma is tolerated.
    mutating func parseArray() throws(ConfigError) -> ConfigValue {
        let open = pos
        pos += 1
        var items: [ConfigValue] = []
        skipSpace()
        if peek == UInt8(ascii: "]") { pos += 1; return .array(items) }
        while true {
            items.append(try parseValue(after: "`[`"))
            skipSpace()
            guard let c = peek else { throw unclosedArray(open) }
            if c == UInt8(ascii: "]") { pos += 1; return .array(items) }
            guard c == UInt8(ascii: ",") else { throw expected("`,` or `]` in array") }
            pos += 1
            skipSpace()
            if peek == UInt8(ascii: "]") { pos += 1; return .array(items) }
            if peek == nil { throw unclosedArray(open) }
        }
    }

    private func unclosedArray(_ open: Int) -> ConfigError {
        let at = location(open)
        return ConfigError(location: endLocation,
                           message: "expected `]` to close array (opened at \(at.line):\(at.column)), found end of file")
    }

    /// `{ key => value ... }`; commas between entries are tolerated. A key given twice is
    /// an error, as in Logstash.
    mutating func parseHash() throws(ConfigError) -> ConfigValue {
        let open = pos
        pos += 1
        var entries: [HashEntry] = []
        var seen: [String: SourceLocation] = [:]
        while true {
            skipSpace()
            guard let c = peek else { throw unclosed("hash", openedAt: open) }
            if c == UInt8(ascii: "}") { pos += 1; return .hash(entries) }
            if c == UInt8(ascii: ","), !entries.isEmpty { pos += 1; continue }
            let keyStart = pos
            let key: String
            if isQuote(c) {
                key = try scanString()
            } else if Parser.isDigit(c) || (c == UInt8(ascii: "-") && Parser.isDigit(peek(1))) {
                key = try scanNumber()
            } else if Parser.isWordStart(c) {
                key = scanWord()
            } else {
                throw expected("a hash key (string, bareword or number) or `}`")
            }
            skipSpace()
            guard consume("=>") else { throw expected("`=>` after hash key `\(key)`") }
            skipSpace()
            let value = try parseValue(after: "`\(key) =>`")
            let keyLocation = location(keyStart)
            if let first = seen[key] {
                errors.append(ConfigError(location: keyLocation,
                                          message: "Duplicate keys found in your configuration: `\(key)`",
                                          note: "`\(key)` is first given at \(first)"))
            } else {
                seen[key] = keyLocation
            }
            entries.append(HashEntry(key: key, value: value, location: keyLocation))
        }
    }

    /// A bareword, `[A-Za-z_][A-Za-z0-9_]*`.
    mutating func scanWord() -> String {
        let start = pos
        while pos < b.count, Parser.isWordByte(b[pos]) { pos += 1 }
        return String(decoding: b[start..<pos], as: UTF8.self)
    }
}
