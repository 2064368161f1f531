import Testing
@testable import SluiceCore

@Suite struct TemplateTests {
    /// 2026-11-20T23:58:44.123Z, a Friday.
    static let t = Timestamp(year: 2026, month: 11, day: 20, hour: 23, minute: 58, second: 44, nanosecond: 123_000_000)

    func event() -> Event {
        var e = Event(message: "hello", timestamp: TemplateTests.t)
        e[field: "type"] = "nginx"
        e[field: "[host][name]"] = "web-01"
        e[field: "list"] = ["a", "b", "c"]
        e[field: "nested_list"] = [1, [2, 3]]
        e[field: "obj"] = ["x": 1, "y": "z"]
        e[field: "count"] = 42
        e[field: "ratio"] = 1.0
        e[field: "ok"] = true
        e[field: "nothing"] = Value.null
        e[field: "foo bar"] = "spaced"
        return e
    }

    func render(_ text: String, _ e: Event? = nil) -> String { Template(text).render(e ?? event()) }

    @Test func constantTemplates() {
        for text in ["hello", "", "100%", "%{", "a}b", "%x{y}", "{}"] {
            let t = Template(text)
            #expect(t.isConstant, "\(text)")
            #expect(t.render(event()) == text)
        }
        #expect(!Template("%{message}").isConstant)
        #expect(!Template("%{+YYYY}").isConstant)
        #expect(!Template("x%{}").isConstant)
    }

    @Test func fieldReferences() {
        #expect(render("%{message}") == "hello")
        #expect(render("[%{type}] %{message}!") == "[nginx] hello!")
        #expect(render("%{[host][name]}") == "web-01")
        #expect(render("%{host}") == #"{"name":"web-01"}"#)
        #expect(render("%{[list][1]}") == "b")
        #expect(render("%{[list][-1]}") == "c")
        #expect(render("%{foo bar}") == "spaced")
        #expect(render("é%{message}ü") == "éhelloü")
    }

    @Test func valueRendering() {
        #expect(render("%{list}") == "a,b,c")
        #expect(render("%{nested_list}") == "1,2,3")
        #expect(render("%{obj}") == #"{"x":1,"y":"z"}"#)
        #expect(render("%{count}") == "42")
        #expect(render("%{ratio}") == "1.0")
        #expect(render("%{ok}") == "true")
        #expect(render("%{@timestamp}") == "2026-11-20T23:58:44.123Z")
        #expect(render("%{@version}") == "1")
    }

    @Test func missingFieldsStayLiteral() {
        #expect(render("%{missing}") == "%{missing}")
        #expect(render("a-%{[host][missing]}-b") == "a-%{[host][missing]}-b")
        #expect(render("%{[list][7]}") == "%{[list][7]}")
        #expect(event()[field: "nothing"] == .some(.null))
        #expect(render("%{nothing}") == "%{nothing}")  // null counts as missing, as in Logstash
        #expect(render("%{}") == "%{}")
        #expect(render("%{[a}") == "%{[a}")           // malformed reference
        #expect(render("%{message") == "%{message")
    }

    @Test func jodaTimeFormats() {
        #expect(render("%{+YYYY.MM.dd}") == "2026.11.20")
        #expect(render("logs-%{+YYYYMMdd}") == "logs-20261120")
        #expect(render("%{+yyyy-MM-dd'T'HH:mm}") == "2026-11-20T23:58")
        #expect(render("%{+HH:mm:ss.SSS Z}") == "23:58:44.123 +0000")
        #expect(render("%{+xxxx-'W'ww}") == "2026-W47")
        #expect(render("%{+EEE, dd MMM yyyy}") == "Fri, 20 Nov 2026")
    }

    @Test func javaTimeFormats() {
        #expect(render("%{{yyyy.MM.dd}}") == "2026.11.20")
        #expect(render("%{{uuuu-MM-dd'T'HH:mm:ss.SSSXXX}}") == "2026-11-20T23:58:44.123Z")
        #expect(render("%{{YYYY-'W'ww}}") == "2026-W47")
        #expect(render("x%{{yyyy}}y") == "x2026y")
    }

    @Test func epochSeconds() {
        #expect(render("%{+%s}") == "1795219124")
        #expect(render("id-%{+%s}-%{message}") == "id-1795219124-hello")
    }

    @Test func timeNow() throws {
        let text = render("%{{TIME_NOW}}")
        let now = try #require(DateParsing.parseISO8601(text))
        #expect(abs(now.epochSeconds - Timestamp.now().epochSeconds) < 5)
        #expect(!Template("%{{TIME_NOW}}").isConstant)
    }

    @Test func missingTimestampRendersLiterally() {
        var m = FieldMap()
        m.set("message", "x")
        let e = Event(fields: m, stamp: false)
        #expect(render("%{+YYYY.MM.dd}-%{message}", e) == "%{+YYYY.MM.dd}-x")
        #expect(render("%{{yyyy}}", e) == "%{{yyyy}}")
        #expect(render("%{+%s}", e) == "%{+%s}")
    }

    @Test func renderIntoAppends() {
        var out = Array("> ".utf8)
        Template("%{type}/%{+YYYY}").render(event(), into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "> nginx/2026")
    }

    @Test func equalityFollowsText() {
        #expect(Template("%{a}") == Template("%{a}"))
        #expect(Template("%{a}") != Template("%{b}"))
        #expect(Template("%{a}").description == "%{a}")
    }

    @Test func valueAppendRenderedMatchesRenderedString() {
        let values: [Value] = ["s", 1, 2.5, true, nil, [1, "a", [2.0]], ["k": [1]], .timestamp(TemplateTests.t)]
        for v in values {
            var out: [UInt8] = []
            v.appendRendered(to: &out)
            #expect(String(decoding: out, as: UTF8.self) == v.renderedString)
        }
    }

    @Test func randomTemplatesNeverCrash() {
        let alphabet: [Character] = ["%", "{", "}", "+", "[", "]", "a", "'", "Y", "s", "é"]
        var rng = SystemRandomNumberGenerator()
        let e = event()
        for _ in 0..<3000 {
            let text = String((0..<Int.random(in: 0...16, using: &rng)).map { _ in alphabet.randomElement(using: &rng) ?? "a" })
            let t = Template(text)
            let out = t.render(e)
            if t.isConstant { #expect(out == text) }
        }
    }
}
