import Testing
@testable import SluiceCore

@Suite struct CodecRubyDebugTests {
    func event() -> Event {
        var e = Event(message: "hello", timestamp: CodecTests.t)
        e[field: "tags"] = ["a", "b"]
        e[field: "nested"] = ["x": 1, "yy": .object(FieldMap())]
        e[field: "num"] = 1.0
        e[field: "[@metadata][k]"] = "v"
        return e
    }

    @Test func layoutMatchesAmazingPrint() throws {
        let codec = try makeCodec(RubyDebugCodec.self)
        #expect(encode(codec, event()) == """
        {
            "@timestamp" => 2026-11-20T23:58:44.123Z,
              "@version" => "1",
               "message" => "hello",
                "nested" => {
                 "x" => 1,
                "yy" => {}
            },
                   "num" => 1.0,
                  "tags" => [
                [0] "a",
                [1] "b"
            ]
        }

        """)
    }

    @Test func metadataOnRequest() throws {
        let codec = try makeCodec(RubyDebugCodec.self, ["metadata": true])
        let text = encode(codec, event())
        #expect(text.hasPrefix("""
        {
             "@metadata" => {
                "k" => "v"
            },
            "@timestamp" => 2026-11-20T23:58:44.123Z,
        """))
        var plain = Event(message: "x", timestamp: CodecTests.t)
        plain[field: "@metadata"] = .object(FieldMap())
        #expect(!encode(codec, plain).contains("@metadata"))
    }

    @Test func scalarsAndNesting() throws {
        var e = Event(fields: FieldMap(), stamp: false)
        e[field: "n"] = Value.null
        e[field: "b"] = false
        e[field: "big"] = .double(1e20)
        e[field: "nan"] = .double(.nan)
        e[field: "list"] = [["k": [1]], []]
        let text = encode(try makeCodec(RubyDebugCodec.self), e)
        #expect(text == """
        {
               "b" => false,
             "big" => 1.0e+20,
            "list" => [
                [0] {
                    "k" => [
                        [0] 1
                    ]
                },
                [1] []
            ],
               "n" => nil,
             "nan" => NaN
        }

        """)
    }

    @Test func indexWidthGrowsWithCount() throws {
        var e = Event(fields: FieldMap(), stamp: false)
        e[field: "l"] = .array((0..<11).map { .int(Int64($0)) })
        let text = encode(try makeCodec(RubyDebugCodec.self), e)
        #expect(text.contains("        [ 0] 0,\n"))
        #expect(text.contains("        [10] 10\n"))
    }

    @Test func rubyStringInspect() {
        func inspect(_ s: String) -> String { String(decoding: RubyInspect.inspect(s), as: UTF8.self) }
        #expect(inspect("plain") == #""plain""#)
        #expect(inspect("a\"b\\c") == #""a\"b\\c""#)
        #expect(inspect("\n\t\r\u{1B}\u{07}") == #""\n\t\r\e\a""#)
        #expect(inspect("\u{01}\u{7F}") == #""\u0001\u007F""#)
        #expect(inspect("#{x} #$y #@z #") == ##""\#{x} \#$y \#@z #""##)
        #expect(inspect("日本 é") == "\"日本 é\"")
    }

    @Test func keyWidthCountsCharacters() throws {
        var e = Event(fields: FieldMap(), stamp: false)
        e[field: "é"] = 1
        e[field: "abc"] = 2
        #expect(encode(try makeCodec(RubyDebugCodec.self), e) == "{\n    \"abc\" => 2,\n      \"é\" => 1\n}\n")
    }

    @Test func decodeFallsBackToPlain() throws {
        let events = decode(try makeCodec(RubyDebugCodec.self), "text")
        #expect(events.map(\.message) == ["text"])
    }
}
