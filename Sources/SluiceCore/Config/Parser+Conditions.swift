/// `if / else if / else` and their conditions.
///
/// Precedence, loosest first: `or`, `xor`, `and`/`nand`, then `!` and parentheses; each
/// binary level is left-associative. Logstash's own shunting-yard only ranks `and` above
/// `or` (it rejects `xor`/`nand` mixed with them); this ordering agrees with it wherever
/// Logstash accepts the expression and follows C's `&` `^` `|` elsewhere.
extension Parser {
    mutating func parseConditional(section: SectionKind) throws(ConfigError) -> Conditional {
        _ = consume("if")
        var branches = [try parseBranch(section: section, keyword: "if")]
        var elseBody: [Statement]?
        while true {
            let save = pos
            skipSpace()
            guard atKeyword("else") else { pos = save; break }
            _ = consume("else")
            skipSpace()
            if atKeyword("if") {
                _ = consume("if")
                branches.append(try parseBranch(section: section, keyword: "else if"))
                continue
            }
            guard peek == UInt8(ascii: "{") else { throw expected("`if` or `{` after `else`") }
            let open = pos
            pos += 1
            elseBody = try parseStatements(section: section, openedAt: open, what: "`else` block")
            break
        }
        return Conditional(branches: branches, elseBody: elseBody)
    }

    /// The condition and body after `if` / `else if`.
    private mutating func parseBranch(section: SectionKind, keyword: String) throws(ConfigError) -> Branch {
        skipSpace()
        let condStart = pos
        let condition = try parseCondition()
        skipSpace()
        guard peek == UInt8(ascii: "{") else {
            throw expected("`{` or a boolean operator (`and`, `or`, `xor`, `nand`) after the `\(keyword)` condition")
        }
        let open = pos
        pos += 1
        let body = try parseStatements(section: section, openedAt: open, what: "`\(keyword)` block")
        return Branch(condition: condition, body: body, location: location(condStart))
    }

    /// Every binary operator adds a level to the expression tree (a chain `a and b and ...`
    /// leans left), so each one counts towards the nesting bound until the condition ends.
    mutating func parseCondition() throws(ConfigError) -> Expression {
        let base = depth
        defer { depth = base }
        try enterNesting(at: pos)
        var lhs = try parseXor()
        while true {
            let at = pos
            guard boolOperator("or") else { return lhs }
            try enterNesting(at: at)
            lhs = .or(lhs, try parseXor())
        }
    }

    private mutating func parseXor() throws(ConfigError) -> Expression {
        var lhs = try parseAnd()
        while true {
            let at = pos
            guard boolOperator("xor") else { return lhs }
            try enterNesting(at: at)
            lhs = .xor(lhs, try parseAnd())
        }
    }

    private mutating func parseAnd() throws(ConfigError) -> Expression {
        var lhs = try parseUnary()
        while true {
            let at = pos
            if boolOperator("and") { try enterNesting(at: at); lhs = .and(lhs, try parseUnary()) }
            else if boolOperator("nand") { try enterNesting(at: at); lhs = .nand(lhs, try parseUnary()) }
            else { return lhs }
        }
    }

    /// Consumes the boolean operator `op` (and blanks around it) if it is next.
    private mutating func boolOperator(_ op: StaticString) -> Bool {
        let save = pos
        skipSpace()
        if atKeyword(op) {
            _ = consume(op)
            skipSpace()
            return true
        }
        pos = save
        return false
    }

    /// `( cond )`, `!( cond )`, `![field]`, or an rvalue alone or with a comparison.
    private mutating func parseUnary() throws(ConfigError) -> Expression {
        skipSpace()
        guard let c = peek else { throw expected("a condition") }
        if c == UInt8(ascii: "(") { return try parseParenthesized() }
        if c == UInt8(ascii: "!") {
            // `!(...)` is counted by the parenthesized condition; `![field]` is a leaf.
            pos += 1
            skipSpace()
            if peek == UInt8(ascii: "(") { return .not(try parseParenthesized()) }
            let operandStart = pos
            if peek == UInt8(ascii: "["), case .field(let ref) = try parseBracket() {
                return .not(.truthy(.field(ref)))
            }
            pos = operandStart
            throw expected("`(` or a field reference like `[field]` after `!`")
        }
        let lhs = try parseRValue()
        let save = pos
        skipSpace()
        if let op = scanCompareOperator() {
            skipSpace()
            return .compare(lhs, op, try parseRValue())
        }
        if consume("=~") || consume("!~") {
            let negated = b[pos - 2] == UInt8(ascii: "!")
            skipSpace()
            let patternStart = pos
            let rhs: Operand
            if isQuote(peek) {
                let p = substitute(try scanString(), at: patternStart)
                validateRegex(p, at: patternStart, literal: false)
                rhs = .string(p)
            } else if peek == UInt8(ascii: "/") {
                rhs = try parseRegexLiteral()
            } else {
                throw expected("a regular expression `/.../` or a string after `\(negated ? "!~" : "=~")`")
            }
            return .match(lhs, rhs, negated: negated)
        }
        if atKeyword("in") {
            _ = consume("in")
            skipSpace()
            return .contains(lhs, try parseRValue(), negated: false)
        }
        if atKeyword("not") {
            _ = consume("not")
            skipSpace()
            guard atKeyword("in") else { throw expected("`in` after `not`") }
            _ = consume("in")
            skipSpace()
            return .contains(lhs, try parseRValue(), negated: true)
        }
        pos = save
        return .truthy(lhs)
    }

    private mutating func parseParenthesized() throws(ConfigError) -> Expression {
        let open = pos
        pos += 1
        let e = try parseCondition()
        skipSpace()
        guard peek == UInt8(ascii: ")") else {
            let at = location(open)
            throw expected("`)` to close `(` opened at \(at.line):\(at.column)")
        }
        pos += 1
        return e
    }

    private mutating func scanCompareOperator() -> CompareOperator? {
        if consume("==") { return .eq }
        if consume("!=") { return .ne }
        if consume("<=") { return .le }
        if consume(">=") { return .ge }
        if consume("<") { return .lt }
        if consume(">") { return .gt }
        return nil
    }

    /// A string, number, field reference, array or regex literal.
    private mutating func parseRValue() throws(ConfigError) -> Operand {
        let start = pos
        guard let c = peek else { throw expected("a value in the condition") }
        if isQuote(c) { return .string(substitute(try scanString(), at: start)) }
        if Parser.isDigit(c) || (c == UInt8(ascii: "-") && Parser.isDigit(peek(1))) { return .number(try scanNumber()) }
        if c == UInt8(ascii: "[") { return try parseBracket() }
        if c == UInt8(ascii: "/") { return try parseRegexLiteral() }
        if Parser.isWordStart(c) {
            let word = scanWord()
            let isCall = peek == UInt8(ascii: "(")
            pos = start
            if isCall {
                throw ConfigError(location: location(start), message: "method calls like `\(word)(...)` are not supported in conditions")
            }
            let note = word == "true" || word == "false"
                ? "conditions have no booleans; test the field itself: `if [field]` or `if ![field]`"
                : "write fields in brackets (`[\(word)]`) and strings in quotes (`\"\(word)\"`)"
            throw expected("a field reference, string, number, array or regular expression", note: note)
        }
        throw expected("a field reference, string, number, array or regular expression")
    }

    private mutating func parseRegexLiteral() throws(ConfigError) -> Operand {
        let start = pos
        let pattern = try scanRegex()
        validateRegex(pattern, at: start, literal: true)
        return .regex(pattern)
    }

    /// Compiles `pattern` now so that a bad one is reported with its location. For a
    /// literal the caret goes to the offending character.
    private mutating func validateRegex(_ pattern: String, at start: Int, literal: Bool) {
        do {
            _ = try Regex(pattern, options: ConditionCompiler.regexOptions)
        } catch {
            let at = literal ? start + 1 + min(error.offset, pattern.utf8.count) : start
            errors.append(ConfigError(location: location(at),
                                      message: "invalid regular expression `\(pattern)`: \(error.message)"))
        }
    }

    /// `[a][b]` is a field reference; `[]`, `["a"]`, `[1, 2]`, `[a, b]` are arrays.
    /// (Logstash reads a one-element `["a"]` as the field `"a"`; nobody means that.)
    private mutating func parseBracket() throws(ConfigError) -> Operand {
        let start = pos
        var j = pos + 1
        while j < b.count, b[j] == UInt8(ascii: " ") || b[j] == UInt8(ascii: "\t") { j += 1 }
        if j >= b.count || [UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "["), UInt8(ascii: "]"),
                            UInt8(ascii: "\n"), UInt8(ascii: "\r")].contains(b[j]) || Parser.isDigit(b[j])
            && isArrayAhead(from: pos + 1) {
            return try parseConditionArray()
        }
        var k = pos
        var first = true
        var selectors = 0
        while k < b.count, b[k] == UInt8(ascii: "[") {
            selectors += 1
            if selectors > ConfigLimits.maxNesting {
                throw ConfigError(location: location(k), message: ConfigLimits.nestingMessage)
            }
            k += 1
            let elementStart = k
            while k < b.count, ![UInt8(ascii: "]"), UInt8(ascii: "["), UInt8(ascii: ","), UInt8(ascii: "\n")].contains(b[k]) { k += 1 }
            if first, k < b.count, b[k] == UInt8(ascii: ",") { return try parseConditionArray() }
            guard k < b.count, b[k] == UInt8(ascii: "]"), k > elementStart else {
                throw invalidFieldReference(start, reason: k == elementStart ? "empty `[]`" : "expected `[name]`")
            }
            k += 1
            first = false
        }
        let text = String(decoding: b[start..<k], as: UTF8.self)
        do {
            let ref = try FieldReference(parsing: text)
            pos = k
            return .field(ref)
        } catch {
            throw invalidFieldReference(start, reason: error.reason)
        }
    }

    /// Whether the bracket content starting at `i` has a `,` before its `]` (a list of numbers).
    private func isArrayAhead(from i: Int) -> Bool {
        var k = i
        while k < b.count, b[k] != UInt8(ascii: "]"), b[k] != UInt8(ascii: "\n") {
            if b[k] == UInt8(ascii: ",") { return true }
            k += 1
        }
        return false
    }

    private func invalidFieldReference(_ start: Int, reason: String) -> ConfigError {
        var end = start
        while end < b.count, ![UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"),
                               UInt8(ascii: "{")].contains(b[end]) { end += 1 }
        let text = String(decoding: b[start..<end], as: UTF8.self)
        return ConfigError(location: location(start), message: "invalid field reference `\(text)`: \(reason)",
                           note: "field references look like `[field]` or `[outer][inner]`")
    }

    /// `[ "a", 1, b, [ ... ] ]` in a condition; barewords are strings.
    private mutating func parseConditionArray() throws(ConfigError) -> Operand {
        let open = pos
        try enterNesting(at: open)
        defer { depth -= 1 }
        pos += 1
        var items: [Operand] = []
        while true {
            skipSpace()
            guard let c = peek else { throw unclosed("array", openedAt: open) }
            if c == UInt8(ascii: "]") { pos += 1; return .array(items) }
            if !items.isEmpty {
                guard c == UInt8(ascii: ",") else { throw expected("`,` or `]` in array") }
                pos += 1
                skipSpace()
                if peek == UInt8(ascii: "]") { pos += 1; return .array(items) }
            }
            let start = pos
            guard let e = peek else { throw unclosed("array", openedAt: open) }
            if isQuote(e) {
                items.append(.string(substitute(try scanString(), at: start)))
            } else if Parser.isDigit(e) || (e == UInt8(ascii: "-") && Parser.isDigit(peek(1))) {
                items.append(.number(try scanNumber()))
            } else if Parser.isWordStart(e) {
                items.append(.string(scanWord()))
            } else if e == UInt8(ascii: "[") {
                items.append(try parseConditionArray())
            } else {
                throw expected("a string, number or array in the array")
            }
        }
    }
}
