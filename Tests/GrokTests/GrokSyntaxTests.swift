import SluiceCore
import Testing

@testable import GrokPlugins

/// Pattern syntax: references, raw named captures, conversions, and the Ruby (Oniguruma)
/// regex behaviour Logstash users rely on.
@Suite("grok syntax")
struct GrokSyntaxTests {
    func run(_ pattern: String, _ message: String, _ extra: [String: Value] = [:]) throws -> Event {
        var settings: [String: Value] = ["match": ["message": .string(pattern)], "ecs_compatibility": "disabled"]
        for (k, v) in extra { settings[k] = v }
        return GrokSettings.run(try GrokSettings.filter(settings), message)
    }

    @Test func referencesSemanticsAndNestedTargets() throws {
        let e = try run("%{WORD} %{WORD:verb} %{INT:[http][status]:int} %{NUMBER:[t][secs]:float} %{INT:code:long}",
                        "x GET 404 0.25 7")
        #expect(e[field: "verb"] == "GET")
        #expect(e[field: "[http][status]"] == 404)
        #expect(e[field: "[t][secs]"] == 0.25)
        #expect(e[field: "code"] == "7")  // only int and float convert
        #expect(e[field: "WORD"] == nil)
    }

    @Test func rawNamedCapturesIncludingFieldReferences() throws {
        let e = try run(#"(?<queue_id>[0-9A-F]{10,11}) (?<[mail][from]>\S+) (?'quoted'\w+) (?P<py>\w+)"#,
                        "BEF25A72965 a@b.c q p")
        #expect(e[field: "queue_id"] == "BEF25A72965")
        #expect(e[field: "[mail][from]"] == "a@b.c")
        #expect(e[field: "quoted"] == "q")
        #expect(e[field: "py"] == "p")
    }

    @Test func namedBackreferencesFollowTheirRenamedGroups() throws {
        let e = try run(#"^(?<tag>\w+)>.*</\k<tag>>$"#, "b>bold</b>")
        #expect(e[field: "tag"] == "b")
        let miss = try run(#"^(?<tag>\w+)>.*</\k<tag>>$"#, "b>bold</i>")
        #expect(miss.hasTag("_grokparsefailure"))
    }

    @Test func inlineDefinitions() throws {
        let e = try run(#"%{HEXNUM=0x[0-9a-f]+} %{HEXNUM:second}"#, "0x1f 0xab")
        #expect(e[field: "second"] == "0xab")
    }

    @Test func textThatOnlyLooksLikeAReferenceStaysLiteral() throws {
        let e = try run(#"^%{NOT-A-NAME} %{WORD:w}$"#, "%{NOT-A-NAME} ok")
        #expect(e[field: "w"] == "ok")
    }

    @Test func dotMatchesNewlineAndAnchorsWorkPerLine() throws {
        let e = try run(#"^%{WORD:first}.*^%{WORD:second}$"#, "one\nmiddle\ntwo")
        #expect(e[field: "first"] == "one")
        #expect(e[field: "second"] == "two")
    }

    @Test func shorthandClassesAreASCIIButPosixClassesAreUnicode() throws {
        let ascii = try run(#"^(?<w>\w+)$"#, "čaj")
        #expect(ascii.hasTag("_grokparsefailure"))
        let posix = try run(#"^(?<w>[[:alpha:]]+) (?<d>[[:digit:]]+)$"#, "čaj 42")
        #expect(posix[field: "w"] == "čaj")
        #expect(posix[field: "d"] == "42")
    }

    @Test func rubyHexDigitEscapeAndInlineFlags() throws {
        let e = try run(#"^(?<h>\h+)-(?<H>\H+)-(?i:(?<ci>abc))$"#, "dead-zz-ABC")
        #expect(e[field: "h"] == "dead")
        #expect(e[field: "H"] == "zz")
        #expect(e[field: "ci"] == "ABC")
        // Ruby's (?m) is "dot matches newline", PCRE's (?s): turning it off must work.
        let off = try run(#"^(?-m:a.b)$"#, "a\nb")
        #expect(off.hasTag("_grokparsefailure"))
        let on = try run(#"^(?m:a.b)$"#, "a\nb")
        #expect(on.hasTag("_grokparsefailure") == false)
    }

    @Test func emptyCapturesAreDroppedButConversionsOfEmptyTextGiveZero() throws {
        let e = try run(#"^(?<a>x*)%{DATA:b}(?<c>\d*):(?<d>\d*)$"#, ":")
        #expect(e[field: "a"] == nil)
        #expect(e[field: "b"] == nil)
        let converted = try run(#"^%{DATA:n:int}:$"#, ":")
        #expect(converted[field: "n"] == 0)
    }

    @Test func repeatedFieldsBecomeArraysAndNonStringsAreKept() throws {
        let twice = try run("%{WORD:w} %{WORD:w} %{WORD:w}", "a b c")
        #expect(twice[field: "w"] == ["a", "b", "c"])
        let ints = try run("%{INT:n:int} %{INT:n:int}", "1 2")
        #expect(ints[field: "n"] == 1)  // Logstash only promotes strings to arrays
        let nested = try run("%{WORD:[a][b]} %{WORD:[a][b]} %{WORD:[a][c]}", "x y z")
        #expect(nested[field: "[a][b]"] == ["x", "y"])
        #expect(nested[field: "[a][c]"] == "z")
        let deep = try run("%{WORD:[a][b][c]} %{WORD:[a][b][c]} %{WORD:[a][d]} %{WORD:[e][f]}", "w x y z")
        #expect(deep[field: "a"] == ["b": ["c": ["w", "x"]], "d": "y"])
        #expect(deep[field: "e"] == ["f": "z"])
    }

    /// A field that is both a value and an object: the first capture wins, as a failed
    /// `Event.set` through a scalar, or a capture onto an object, leaves what is there.
    @Test func aFieldCapturedAsValueAndAsObjectKeepsTheFirst() throws {
        let valueFirst = try run("%{WORD:[a][b]} %{WORD:[a][b][c]}", "x y")
        #expect(valueFirst[field: "a"] == ["b": "x"])
        let objectFirst = try run("%{WORD:[a][b][c]} %{WORD:[a][b]}", "x y")
        #expect(objectFirst[field: "a"] == ["b": ["c": "x"]])
        let topLevel = try run("%{WORD:a} %{WORD:[a][b]}", "x y")
        #expect(topLevel[field: "a"] == "x")
    }

    @Test func capturesMergeIntoExistingObjects() throws {
        let filter = try GrokSettings.filter(["match": ["message": "%{WORD:[http][verb]}"]])
        var e = Event(message: "GET")
        e.fields.set("http", ["version": "1.1"])
        var scratch = FilterContext()
        _ = filter.filter(&e, &scratch)
        #expect(e[field: "[http][version]"] == "1.1")
        #expect(e[field: "[http][verb]"] == "GET")
        var scalar = Event(message: "GET")
        scalar.fields.set("http", "not an object")
        _ = filter.filter(&scalar, &scratch)
        #expect(scalar[field: "http"] == "not an object")
    }

    @Test func rubyNumberConversions() {
        func i(_ s: String) -> Value { var s = s; return s.withUTF8 { RubyNumber.toI($0) } }
        func f(_ s: String) -> Double { var s = s; return s.withUTF8 { RubyNumber.toF($0) } }
        #expect(i("42") == 42)
        #expect(i("  -17abc") == -17)
        #expect(i("+3") == 3)
        #expect(i("1_000") == 1000)
        #expect(i("1__0") == 1)
        #expect(i("abc") == 0)
        #expect(i("") == 0)
        #expect(i("0x1A") == 0)
        #expect(i("12.9") == 12)
        #expect(i("99999999999999999999") == .double(1e20))
        #expect(f("1.5") == 1.5)
        #expect(f(" -0.25x") == -0.25)
        #expect(f(".5") == 0.5)
        #expect(f("1e3") == 1000)
        #expect(f("2.5E-1") == 0.25)
        #expect(f("1.") == 1)
        #expect(f("1e") == 1)
        #expect(f("1_000.5") == 1000.5)
        #expect(f("abc") == 0)
        #expect(f("-") == 0)
        #expect(f("-0").sign == .minus)
        #expect(f("123456789012345.6") == 123456789012345.6)  // 16 digits: the general route
        #expect(f("0.000000000000001") == 1e-15)
    }

    /// Plain decimals take a fast path (no string, one division); it must give exactly what
    /// strtod gives for each of them.
    @Test func rubyFloatFastPathMatchesStrtod() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let whole = UInt64.random(in: 0...999_999_999, using: &rng) >> UInt64.random(in: 0...29, using: &rng)
            let fractionDigits = Int.random(in: 0...6, using: &rng)
            var text = Bool.random(using: &rng) ? "-" : ""
            text += String(whole)
            if fractionDigits > 0 {
                text += "." + (0..<fractionDigits).map { _ in String(Int.random(in: 0...9, using: &rng)) }.joined()
            }
            var bytes = text
            let fast = bytes.withUTF8 { RubyNumber.plainDecimal($0) }
            #expect(fast == Double(text), "\(text)")
        }
    }
}
