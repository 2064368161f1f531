import Testing
@testable import SluiceCore

/// Settings as validation hands them to a codec: every declared default, plus overrides.
func codecSettings<C: Codec>(_ type: C.Type, _ overrides: [String: Value] = [:]) -> PluginSettings {
    var values: [String: Value] = [:]
    for spec in C.settingSpecs { if let d = spec.defaultValue { values[spec.name] = d } }
    for (k, v) in overrides { values[k] = v }
    return PluginSettings(pluginName: C.pluginName, id: "\(C.pluginName)_1", values: values)
}

func makeCodec<C: Codec>(_ type: C.Type, _ overrides: [String: Value] = [:]) throws -> C {
    try C(settings: codecSettings(type, overrides),
          context: PluginContext(logger: Logger(label: "test"), pipeline: PipelineSettings()))
}

func decode(_ codec: some Codec, _ text: String) -> [Event] {
    var events: [Event] = []
    codec.decode(ArraySlice(text.utf8), into: &events)
    return events
}

func encode(_ codec: some Codec, _ event: Event) -> String {
    var out: [UInt8] = []
    codec.encode(event, into: &out)
    return String(decoding: out, as: UTF8.self)
}

@Suite struct CodecTests {
    static let t = Timestamp(year: 2026, month: 11, day: 20, hour: 23, minute: 58, second: 44, nanosecond: 123_000_000)

    func sample() -> Event {
        var e = Event(message: "hello", timestamp: CodecTests.t)
        e[field: "host"] = "h1"
        e[field: "[@metadata][secret]"] = "s"
        return e
    }

    @Test func registryList() {
        #expect(BuiltinCodecs.all.map { $0.pluginName } == ["plain", "line", "json", "json_lines", "rubydebug", "dots"])
        for c in BuiltinCodecs.all {
            #expect(!c.summary.isEmpty)
            for spec in c.settingSpecs { #expect(!spec.doc.isEmpty, "\(c.pluginName).\(spec.name)") }
        }
        #expect(LineCodec.settingSpecs.first { $0.name == "delimiter" }?.defaultValue == "\n")
        #expect(PlainCodec.settingSpecs.first { $0.name == "charset" }?.defaultValue == "UTF-8")
        #expect(RubyDebugCodec.settingSpecs.first { $0.name == "metadata" }?.defaultValue == false)
    }

    // MARK: plain

    @Test func plainDecode() throws {
        let codec = try makeCodec(PlainCodec.self)
        #expect(codec.framing == .message)
        let events = decode(codec, "hello world\n")
        #expect(events.count == 1)
        #expect(events[0].message == "hello world\n")
        #expect(events[0][field: "@version"] == "1")
        #expect(events[0].contains(FieldReference(path: ["@timestamp"])))
        var invalid: [Event] = []
        codec.decode([0x61, 0xFF, 0x62], into: &invalid)
        #expect(invalid[0].message == "a\u{FFFD}b")
        #expect(decode(codec, "").first?.message == "")
    }

    @Test func plainCharsets() throws {
        var events: [Event] = []
        try makeCodec(PlainCodec.self, ["charset": "ISO-8859-1"]).decode([0x63, 0x61, 0x66, 0xE9], into: &events)
        try makeCodec(PlainCodec.self, ["charset": "CP1252"]).decode([0x80, 0x20, 0x93, 0x78, 0x94], into: &events)
        try makeCodec(PlainCodec.self, ["charset": "US-ASCII"]).decode([0x61, 0xC3], into: &events)
        #expect(events.map(\.message) == ["café", "€ “x”", "a\u{FFFD}"])
    }

    @Test func plainEncode() throws {
        let codec = try makeCodec(PlainCodec.self)
        #expect(encode(codec, sample()) == "2026-11-20T23:58:44.123Z h1 hello")
        var noHost = sample()
        noHost[field: "host"] = nil
        #expect(encode(codec, noHost) == "2026-11-20T23:58:44.123Z %{host} hello")
        let formatted = try makeCodec(PlainCodec.self, ["format": "%{message}!"])
        #expect(encode(formatted, sample()) == "hello!")
    }

    // MARK: line

    @Test func lineDecode() throws {
        let codec = try makeCodec(LineCodec.self)
        #expect(codec.framing == .delimited([0x0A]))
        #expect(decode(codec, "one").map(\.message) == ["one"])
        #expect(decode(codec, "one\ntwo\n").map(\.message) == ["one", "two"])
        #expect(decode(codec, "a\n\nb").map(\.message) == ["a", "", "b"])
        #expect(decode(codec, "crlf\r").map(\.message) == ["crlf\r"])
        #expect(decode(codec, "").map(\.message) == [""])
        let custom = try makeCodec(LineCodec.self, ["delimiter": "||"])
        #expect(custom.framing == .delimited([0x7C, 0x7C]))
        #expect(decode(custom, "a||b||").map(\.message) == ["a", "b"])
    }

    @Test func lineEncode() throws {
        #expect(encode(try makeCodec(LineCodec.self), sample()) == "2026-11-20T23:58:44.123Z h1 hello\n")
        let formatted = try makeCodec(LineCodec.self, ["format": "%{host}: %{message}", "delimiter": "\r\n"])
        #expect(encode(formatted, sample()) == "h1: hello\r\n")
    }

    /// Outputs write through `encode(_:into: inout ByteBuffer)`; it must give the same bytes
    /// as the `[UInt8]` form, for every kind of template part and the default implementation.
    @Test func batchBufferEncodingMatchesTheArrayForm() throws {
        var e = sample()
        e.fields.set("n", 7)
        e.fields.set("obj", ["k": "v \"q\""])
        e.fields.set("list", [1, "two"])
        e.fields.set("none", nil)
        let codecs: [any Codec] = [
            try makeCodec(LineCodec.self),
            try makeCodec(LineCodec.self, ["format": "%{message}"]),
            try makeCodec(LineCodec.self, ["format": "%{none}"]),
            try makeCodec(LineCodec.self, ["format": "%{n}"]),
            try makeCodec(LineCodec.self, ["format": "%{host} %{+YYYY-MM-dd HH:mm} %{+%s} [%{obj}] %{list} %{missing}", "delimiter": "\r\n"]),
            try makeCodec(JSONCodec.self),
            try makeCodec(JSONLinesCodec.self),
            try makeCodec(PlainCodec.self, ["format": "%{message}!"]),
        ]
        for codec in codecs {
            let viaArray = encode(codec, e)
            var buffer = ByteBuffer(capacity: 16)  // small: appends must grow it
            codec.encode(e, into: &buffer)
            codec.encode(e, into: &buffer)
            let viaBuffer = buffer.withBytes { String(decoding: $0, as: UTF8.self) }
            #expect(!viaArray.isEmpty)
            #expect(viaBuffer == viaArray + viaArray, "\(type(of: codec))")
        }
        #expect(encode(codecs[2], e) == "%{none}\n", "a null single field renders the template text")
        #expect(encode(codecs[4], e) == "h1 2026-11-20 23:58 1795219124 [{\"k\":\"v \\\"q\\\"\"}] 1,two %{missing}\r\n")
    }

    // MARK: json

    @Test func jsonDecodeObject() throws {
        let codec = try makeCodec(JSONCodec.self)
        #expect(codec.framing == .message)
        let events = decode(codec, #"{"a":1,"message":"x","@timestamp":"2026-11-20T23:58:44.123Z","tags":["t"]}"#)
        #expect(events.count == 1)
        #expect(events[0][field: "a"] == 1)
        #expect(events[0].message == "x")
        #expect(events[0].timestamp == CodecTests.t)
        #expect(events[0][field: "@version"] == "1")
        #expect(events[0].tags == ["t"])
        let stamped = decode(codec, #"{"a":1}"#)
        #expect(abs(stamped[0].timestamp.epochSeconds - Timestamp.now().epochSeconds) < 5)
    }

    @Test func jsonDecodeArrayAndBlank() throws {
        let codec = try makeCodec(JSONCodec.self)
        #expect(decode(codec, #"[{"a":1},{"a":2}]"#).map { $0[field: "a"] } == [1, 2])
        #expect(decode(codec, "[]").isEmpty)
        #expect(decode(codec, "  \n").isEmpty)
    }

    @Test(arguments: [#"{"a":"#, "42", #""text""#, "[1,2]", #"[{"a":1},3]"#, "not json", "null"])
    func jsonParseFailures(input: String) throws {
        let events = decode(try makeCodec(JSONCodec.self), input)
        #expect(events.count == 1)
        #expect(events.first?.message == input)
        #expect(events.first?.tags == ["_jsonparsefailure"])
    }

    @Test func jsonTarget() throws {
        let codec = try makeCodec(JSONCodec.self, ["target": "[doc]"])
        let events = decode(codec, #"{"a":{"b":2},"@timestamp":"2026-11-20T23:58:44.123Z"}"#)
        #expect(events[0][field: "[doc][a][b]"] == 2)
        #expect(events[0][field: "a"] == nil)
        #expect(events[0].timestamp != CodecTests.t)  // a nested @timestamp is just data
    }

    @Test func jsonCharset() throws {
        var events: [Event] = []
        try makeCodec(JSONCodec.self, ["charset": "ISO-8859-1"]).decode(ArraySlice(Array(#"{"k":""#.utf8) + [0xE9, 0x22, 0x7D]), into: &events)
        #expect(events.first?[field: "k"] == "é")
    }

    @Test func jsonEncode() throws {
        let codec = try makeCodec(JSONCodec.self)
        let text = encode(codec, sample())
        #expect(text == #"{"@timestamp":"2026-11-20T23:58:44.123Z","@version":"1","message":"hello","host":"h1"}"#)
        #expect(!text.contains("@metadata"))
        let back = decode(codec, text)
        #expect(back.first?.timestamp == CodecTests.t)
        #expect(back.first?[field: "host"] == "h1")
    }

    // MARK: json_lines

    @Test func jsonLines() throws {
        let codec = try makeCodec(JSONLinesCodec.self)
        #expect(codec.framing == .delimited([0x0A]))
        let events = decode(codec, "{\"a\":1}\n\n{\"a\":2}\nbad\n")
        #expect(events.count == 3)
        #expect(events[0][field: "a"] == 1 && events[1][field: "a"] == 2)
        #expect(events[2].message == "bad" && events[2].hasTag("_jsonparsefailure"))
        #expect(encode(codec, sample()) == #"{"@timestamp":"2026-11-20T23:58:44.123Z","@version":"1","message":"hello","host":"h1"}"# + "\n")
        let custom = try makeCodec(JSONLinesCodec.self, ["delimiter": "\0", "target": "d"])
        #expect(decode(custom, "{\"a\":1}\0{\"a\":2}").map { $0[field: "[d][a]"] } == [1, 2])
        #expect(encode(custom, sample()).hasSuffix("}\0"))
    }

    // MARK: dots

    @Test func dots() throws {
        let codec = try makeCodec(DotsCodec.self)
        var out: [UInt8] = []
        for _ in 0..<3 { codec.encode(sample(), into: &out) }
        #expect(String(decoding: out, as: UTF8.self) == "...")
    }
}
