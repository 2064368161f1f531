import Testing
@testable import SluiceCore

@Suite("Config parser: diagnostics")
struct ConfigErrorTests {
    /// The single error `text` produces.
    func error(_ text: String, name: String = "test.conf", env: [String: String] = [:],
               sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> ConfigError {
        let errors = ConfigTest.errors(text, name: name, env: env, sourceLocation: sourceLocation)
        #expect(errors.count == 1, sourceLocation: sourceLocation)
        return try #require(errors.first, sourceLocation: sourceLocation)
    }

    @Test func missingArrowRendersLikeACompiler() throws {
        let e = try error("""
            filter {
              # adds a field
                mutate { add_field { "a" => "b" } }
            }
            """, name: "pipeline.conf")
        #expect(e.location?.description == "pipeline.conf:3:24")
        #expect(e.message == "expected `=>` after setting name `add_field`, found `{`")
        #expect(e.description == """
            pipeline.conf:3:24: error: expected `=>` after setting name `add_field`, found `{`
                mutate { add_field { "a" => "b" } }
                                   ^
            """)
    }

    @Test func missingArrowAfterHashKey() throws {
        let e = try error("filter { x { h => { \"k\" \"v\" } } }")
        #expect(e.location?.description == "test.conf:1:25")
        #expect(e.message == "expected `=>` after hash key `k`, found `\"v\"`")
    }

    @Test func unterminatedString() throws {
        let e = try error("input {\n  x { a => \"open\n}\n")
        #expect(e.location?.description == "test.conf:2:12")
        #expect(e.message.hasPrefix("unterminated string"))
        #expect(e.description.contains("  x { a => \"open\n           ^"))
    }

    @Test func unterminatedSingleQuotedString() throws {
        let e = try error("input { x { a => 'open } }")
        #expect(e.location?.description == "test.conf:1:18")
        #expect(e.message.contains("`'`"))
    }

    @Test func missingClosingBraceOfSection() throws {
        let e = try error("filter {\n  mutate { add_tag => [\"a\"] }\n\n")
        #expect(e.location?.description == "test.conf:2:30")
        #expect(e.message == "expected `}` to close section `filter` (opened at 1:1), found end of file")
        #expect(e.description.hasSuffix("  mutate { add_tag => [\"a\"] }\n" + String(repeating: " ", count: 29) + "^"))
    }

    @Test func missingClosingBraceOfPlugin() throws {
        let e = try error("filter {\n  mutate {\n    add_tag => \"x\"\n# trailing comment\n")
        #expect(e.message == "expected `}` to close plugin `mutate` (opened at 2:3), found end of file")
        #expect(e.location?.line == 4)
    }

    @Test func missingClosingBraceBeforeNextSection() throws {
        let e = try error("filter {\n  mutate { }\noutput {\n  stdout { }\n}\n")
        #expect(e.location?.description == "test.conf:3:1")
        #expect(e.message == "section `output` cannot appear inside section `filter`")
        #expect(e.note == "is a closing `}` missing above?")
        #expect(e.description.hasSuffix("note: is a closing `}` missing above?"))
    }

    @Test func unclosedArrayHashAndParenthesis() throws {
        #expect(try error("filter { x { a => [1, 2 ").message.hasPrefix("expected `]` to close array (opened at 1:19)"))
        #expect(try error("filter { x { a => [1 2] } }").message == "expected `,` or `]` in array, found `2`")
        #expect(try error("filter { x { a => { b => 1 ").message.hasPrefix("expected `}` to close hash (opened at 1:19)"))
        let paren = try error("filter { if ([a] == 1 { } }")
        #expect(paren.message == "expected `)` to close `(` opened at 1:13, found `{`")
        #expect(paren.location?.description == "test.conf:1:23")
    }

    @Test func unexpectedToken() throws {
        let e = try error("filter { mutate { } ; }")
        #expect(e.location?.description == "test.conf:1:21")
        #expect(e.message == "expected a plugin name, `if` or `}` in section `filter`, found `;`")
        #expect(e.description.hasSuffix("filter { mutate { } ; }\n                    ^"))
    }

    @Test func unexpectedTokens() throws {
        #expect(try error("filter { x { a => 1, b => 2 } }").note == "settings are separated by blanks, not commas")
        #expect(try error("filter { x { a => } }").message
                == "expected a value (string, number, bareword, array, hash or plugin) after `a =>`, found `}`")
        #expect(try error("filter { x { path => /var/log } }").note?.contains("must be quoted") == true)
        #expect(try error("filter { x { a => foo-bar } }").message.hasPrefix("invalid bareword `foo-bar`"))
        #expect(try error("input { x }").message == "expected `{` after plugin name `x`, found `}`")
        #expect(try error("input x { }").message == "expected `{` after section name `input`, found `x`")
        #expect(try error("\"input\" { }").message == "expected a section (`input`, `filter` or `output`), found `\"input\"`")
        #expect(try error("filter { else { } }").message == "`else` without a preceding `if` block")
        #expect(try error("filter { if [a] { } else x { } }").message == "expected `if` or `{` after `else`, found `x`")
        #expect(try error("filter { if [a] && [b] { } }").note == "boolean operators are written `and`, `or`, `xor`, `nand`")
        #expect(try error("filter { if a == 1 { } }").note == "write fields in brackets (`[a]`) and strings in quotes (`\"a\"`)")
        #expect(try error("filter { if [a] == true { } }").note?.hasPrefix("conditions have no booleans") == true)
        #expect(try error("filter { if [a] == b { } }").message
                == "expected a field reference, string, number, array or regular expression, found `b`")
        #expect(try error("filter { if [a] =~ [b] { } }").message
                == "expected a regular expression `/.../` or a string after `=~`, found `[`")
        #expect(try error("filter { if ! 1 { } }").message
                == "expected `(` or a field reference like `[field]` after `!`, found `1`")
        #expect(try error("filter { if [a] not [b] { } }").message == "expected `in` after `not`, found `[`")
        #expect(try error("filter { if f(1) { } }").message == "method calls like `f(...)` are not supported in conditions")
        #expect(try error("filter { if { } }").message == "expected a field reference, string, number, array or regular expression, found `{`")
    }

    @Test func badNumber() throws {
        let e = try error("input { x { port => 12ab } }")
        #expect(e.location?.description == "test.conf:1:21")
        #expect(e.message == "invalid number `12ab`")
        #expect(e.description.contains("input { x { port => 12ab } }\n                    ^"))
        #expect(try error("filter { if [a] == 1.2.3 { } }").message == "invalid number `1.2.3`")
        #expect(try error("filter { x { h => { 1x => 2 } } }").message == "invalid number `1x`")
    }

    @Test func badRegexPointsAtTheProblem() throws {
        let e = try error("filter { if [a] =~ /(foo/ { } }")
        #expect(e.location?.description == "test.conf:1:25")
        #expect(e.message.hasPrefix("invalid regular expression `(foo`: missing closing parenthesis"))
        let s = try error("filter { if [a] !~ \"[z-a]\" { } }")
        #expect(s.location?.description == "test.conf:1:20")
        #expect(s.message.hasPrefix("invalid regular expression `[z-a]`"))
    }

    @Test func unterminatedRegex() throws {
        let e = try error("filter { if [a] =~ /abc { } }")
        #expect(e.location?.description == "test.conf:1:20")
        #expect(e.message.hasPrefix("unterminated regular expression"))
    }

    @Test func invalidFieldReference() throws {
        let e = try error("filter { if [a][] == 1 { } }")
        #expect(e.location?.description == "test.conf:1:13")
        #expect(e.message == "invalid field reference `[a][]`: empty `[]`")
        #expect(e.description.contains("filter { if [a][] == 1 { } }\n            ^"))
        #expect(try error("filter { if [a][b == 1 { } }").message.hasPrefix("invalid field reference `[a][b`"))
        #expect(try error("filter {\n if [a[b]] { } }").location?.description == "test.conf:2:5")
        #expect(try error("filter { if ![a][b,c] { } }").message.hasPrefix("invalid field reference `[a][b,c]`"))
    }

    @Test func unknownSectionName() throws {
        let e = try error("input { }\nfiltre {\n}\n")
        #expect(e.location?.description == "test.conf:2:1")
        #expect(e.message == "unknown section `filtre`; expected `input`, `filter` or `output`; did you mean `filter`?")
        #expect(e.description.hasSuffix("filtre {\n^"))
    }

    @Test func undefinedEnvironmentVariable() throws {
        let e = try error("input { x { a => \"${NOPE}\" } }")
        #expect(e.location?.description == "test.conf:1:18")
        #expect(e.message == "Cannot evaluate `${NOPE}`. Replacement variable `NOPE` is not defined in the environment and there is no default value given.")
    }

    @Test func duplicateHashKey() throws {
        let e = try error("filter {\n  mutate { add_field => { \"a\" => \"1\" \"b\" => \"2\" \"a\" => \"3\" } }\n}")
        #expect(e.location?.description == "test.conf:2:49")
        #expect(e.message == "Duplicate keys found in your configuration: `a`")
        #expect(e.note == "`a` is first given at test.conf:2:27")
        // Keys compare by value, however they are quoted.
        #expect(try error("filter { x { h => { a => 1 'a' => 2 } } }").location?.column == 28)
    }

    @Test func severalProblemsAreReportedTogether() throws {
        let errors = ConfigTest.errors("""
            input { x { a => "${ONE}" } }
            filter {
              x { h => { k => 1 k => 2 } }
              if [m] =~ /(/ { }
            }
            output { y { b => ["${TWO}"] } }
            """)
        #expect(errors.map { $0.location?.description ?? "" }
                == ["test.conf:1:18", "test.conf:3:21", "test.conf:4:15", "test.conf:6:20"])
        let all = ConfigErrors(errors).description
        #expect(all.contains("`${ONE}`") && all.contains("`${TWO}`") && all.contains("\n\ntest.conf:3:21"))
    }

    @Test func syntaxErrorAfterCollectedErrors() {
        let errors = ConfigTest.errors("input { x { a => \"${ONE}\" } }\nfilter { x { b c } }")
        #expect(errors.count == 2)
        #expect(errors.last?.message == "expected `=>` after setting name `b`, found `c`")
    }

    @Test func caretUnderTabsAndWideCharacters() throws {
        let e = try error("filter {\n\tmutate { add_field { } }\n}")
        #expect(e.location?.description == "test.conf:2:21")
        #expect(e.description.hasSuffix("\tmutate { add_field { } }\n\t" + String(repeating: " ", count: 19) + "^"))
        let w = try error("filter { x { a => \"ü\" b } }")
        #expect(w.location?.column == 25)
        #expect(w.description.hasSuffix(String(repeating: " ", count: 24) + "^"))
    }

    @Test func errorWithoutLocationAndWithNote() {
        #expect(ConfigError(message: "boom").description == "error: boom")
        #expect(ConfigError(message: "boom", note: "try again").description == "error: boom\nnote: try again")
        let file = SourceFile(name: "f.conf", text: "a\nbc\n")
        let e = ConfigError(location: file.location(ofOffset: 3), message: "m", note: "n")
        #expect(e.description == "f.conf:2:2: error: m\nbc\n ^\nnote: n")
    }

    @Test func sourceFileLines() {
        let f = SourceFile(name: "x", text: "one\r\ntwo\nthree")
        #expect(f.lineCount == 3)
        #expect(f.line(1) == "one")
        #expect(f.line(3) == "three")
        #expect(f.line(4) == "")
        #expect(f.location(ofOffset: 5).description == "x:2:1")
        #expect(f.location(ofOffset: 100).description == "x:3:6")
        #expect(f.location(ofOffset: 5) == f.location(ofOffset: 5))
    }
}
