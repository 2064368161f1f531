import Testing
@testable import SluiceCore

/// In-process: nesting bounds of the parser and field references, and how excerpts treat
/// secrets and long lines (issue 16, parts 1 and 2). Test-runner threads have small
/// stacks, so these also show the bound is low enough for them.
@Suite("Config hardening: nesting and excerpts")
struct ConfigHardeningTests {
    static func r(_ s: String, _ k: Int = 100_000) -> String { String(repeating: s, count: k) }

    static let deep: [String: String] = [
        "if": "filter {\n" + r("if [a] { ") + r("}") + "\n}",
        "parens": "filter {\nif " + r("(") + "[a]" + r(")") + " { }\n}",
        "not": "filter {\nif " + r("!(") + "[a]" + r(")") + " { }\n}",
        "and": "filter {\nif " + r("[a] and ") + "[a] { }\n}",
        "or": "filter {\nif " + r("[a] or ") + "[a] { }\n}",
        "hash": "filter {\nmutate { add_field => " + r("{ a => ") + "1" + r(" }") + " }\n}",
        "array": "filter {\nmutate { add_tag => " + r("[") + r("]") + " }\n}",
        "selectors": "filter {\nif " + r("[a]") + " { }\n}",
        "condition array": "filter {\nif [a] in " + r("[") + r("]") + " { }\n}",
        "plugin value": "input {\nstdin { codec => " + r("json { codec => ") + "json" + r(" }") + " }\n}",
    ]

    @Test(arguments: deep.keys.sorted())
    func deepNestingIsAnErrorWithALocation(_ name: String) throws {
        let text = try #require(Self.deep[name])
        let errors = ConfigTest.errors(text, name: "deep.conf")
        let e = try #require(errors.first)
        #expect(e.message == "nesting deeper than 1000 levels")
        #expect(e.location?.line == 2)
        #expect(e.description.utf8.count < 1_000)
    }

    @Test func realisticNestingParses() throws {
        let text = "filter {\n" + Self.r("if [a] { ", 200) + Self.r("}", 200) + "\n}"
        _ = try ConfigTest.parse(text)
    }

    @Test func fieldReferencePathsAreBounded() throws {
        #expect(throws: FieldReferenceError.self) { try FieldReference(parsing: Self.r("[a]", 1001)) }
        #expect(try FieldReference(parsing: Self.r("[a]", 1000)).path.count == 1000)
        // A sprintf template with such a reference renders literally instead of recursing.
        let t = Template("%{" + Self.r("[a]", 100_000) + "}")
        #expect(t.render(Event()).hasPrefix("%{[a][a]"))
    }

    @Test func secretsAreMaskedAndTheCaretStaysAligned() throws {
        let text = #"filter { x { password => "hunter2" y => 1 z => ?} }"#
        let errors = ConfigTest.errors(text)
        let e = try #require(errors.first)
        let snippet = try #require(e.location?.snippet)
        #expect(!e.description.contains("hunter2"))
        #expect(snippet.contains(#"password => "*******""#))
        let lines = snippet.split(separator: "\n").map(String.init)
        #expect(Array(lines[0])[lines[1].count - 1] == "?")
    }

    @Test func maskedRangesFollowTheFile() {
        let file = SourceFile(name: "t.conf", text: "a => \"ünïcode\" b => c\n")
        file.maskSecretValue(at: 5)
        let loc = file.location(ofOffset: 17)  // `b` after the secret
        let lines = loc.snippet.split(separator: "\n").map(String.init)
        #expect(lines[0] == "a => \"*******\" b => c")
        #expect(Array(lines[0])[lines[1].count - 1] == "b")
    }

    @Test func longLinesAreCutAroundTheCaret() throws {
        let text = Self.r("x", 100_000) + "^" + Self.r("y", 100_000)
        let file = SourceFile(name: "t", text: text)
        let loc = file.location(ofOffset: 100_000)
        let lines = loc.snippet.split(separator: "\n").map(String.init)
        #expect(lines[0].count <= 162)
        #expect(lines[0].hasPrefix("…") && lines[0].hasSuffix("…"))
        #expect(Array(lines[0])[lines[1].count - 1] == "^")
        // Near the start only the end is cut.
        let early = file.location(ofOffset: 3).snippet.split(separator: "\n").map(String.init)
        #expect(!early[0].hasPrefix("…") && early[0].hasSuffix("…"))
        #expect(early[1] == "   ^")
    }

    @Test func redactionReplacesQuotedAndLongValues() {
        #expect(Secrets.redact("got `ab`, and ab", ["ab"]) == "got `<redacted>`, and ab")
        #expect(Secrets.redact("got hunter2 here", ["hunter2"]) == "got <redacted> here")
        #expect(Secrets.looksSecret("sasl_password") && Secrets.looksSecret("oauth_token_secret") && Secrets.looksSecret("key"))
        #expect(!Secrets.looksSecret("trim_key") && !Secrets.looksSecret("ssl_key"))
    }
}
