import Testing
@testable import SluiceCore

@Suite struct JSONEncodeTests {
    func json(_ v: Value) -> String { JSON.encodeToString(v) }

    @Test func scalars() {
        #expect(json(nil) == "null")
        #expect(json(true) == "true")
        #expect(json(false) == "false")
        #expect(json(42) == "42")
        #expect(json(.int(Int64.min)) == "-9223372036854775808")
        #expect(json(.int(Int64.max)) == "9223372036854775807")
        #expect(json(1.5) == "1.5")
        #expect(json(.double(.nan)) == "null")
        #expect(json(.double(-.infinity)) == "null")
    }

    @Test func stringEscaping() {
        #expect(json("a\"b\\c") == #""a\"b\\c""#)
        #expect(json("\n\r\t\u{08}\u{0C}") == #""\n\r\t\b\f""#)
        #expect(json("\u{00}\u{01}\u{1F}") == #""\u0000\u0001\u001f""#)
        #expect(json("\u{7F}/") == "\"\u{7F}/\"")
        #expect(json("héllo 日本 😀") == "\"héllo 日本 😀\"")
    }

    @Test(arguments: [
        (1.0, "1.0"), (0.1, "0.1"), (-1.5, "-1.5"), (100.0, "100.0"), (123.456, "123.456"), (1e300, "1.0e+300"),
        (-0.0, "-0.0"), (0.0, "0.0"), (1e16, "1.0e+16"), (1e15, "1000000000000000.0"), (1e-5, "1.0e-05"),
        (0.0001, "0.0001"), (0.001, "0.001"), (2.5e-7, "2.5e-07"), (Double.leastNonzeroMagnitude, "5.0e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"), (12345678901234567890.0, "1.2345678901234567e+19"),
        (1234567.125, "1234567.125"), (9007199254740993.0, "9007199254740992.0"), (0.30000000000000004, "0.30000000000000004"),
    ])
    func formatDouble(value: Double, text: String) {
        #expect(JSON.formatDouble(value) == text)
    }

    @Test func doublesRoundTrip() throws {
        var rng = SystemRandomNumberGenerator()
        for k in 0..<3000 {
            let d = k < 1000 ? Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF) * (k % 2 == 0 ? 1 : -1)
                             : Double.random(in: -1e6...1e6, using: &rng)
            let text = JSON.formatDouble(d)
            #expect(try JSON.decode(text) == .double(d), "\(d) printed as \(text)")
        }
        #expect(try JSON.decode(JSON.formatDouble(-0.0)) == .double(-0.0))
    }

    @Test func containersKeepOrder() {
        var m = FieldMap()
        m.set("z", 1)
        m.set("a", [1, "x", nil, ["k": false]])
        m.set("e", .object(FieldMap()))
        m.set("l", [])
        #expect(json(.object(m)) == #"{"z":1,"a":[1,"x",null,{"k":false}],"e":{},"l":[]}"#)
    }

    @Test func timestampsAreISO8601Strings() {
        let t = Timestamp(year: 2026, month: 11, day: 20, hour: 23, minute: 58, second: 44, nanosecond: 123_000_000)
        #expect(json(["t": .timestamp(t)]) == #"{"t":"2026-11-20T23:58:44.123Z"}"#)
    }

    @Test func timestampPrecisionAndRange() {
        func iso(_ t: Timestamp) -> String { t.iso8601 }
        #expect(iso(Timestamp(nanoseconds: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(iso(Timestamp(nanoseconds: -1)) == "1969-12-31T23:59:59.999999999Z")
        #expect(iso(Timestamp(seconds: 1_700_000_000, nanos: 5_000)) == "2023-11-14T22:13:20.000005Z")
        #expect(iso(Timestamp(year: 2024, month: 2, day: 29, hour: 7, minute: 5, second: 9, nanosecond: 1))
                == "2024-02-29T07:05:09.000000001Z")
        #expect(iso(Timestamp(year: 2262, month: 1, day: 1, hour: 23, minute: 59, second: 59)) == "2262-01-01T23:59:59.000Z")
        #expect(iso(Timestamp(year: 1678, month: 1, day: 1)) == "1678-01-01T00:00:00.000Z")
        // The event encoder writes the same text into its own buffer.
        let t = Timestamp(seconds: 1_234_567_890, nanos: 987_654_321)
        #expect(JSON.encodeToString(event: Event(timestamp: t)) == #"{"@timestamp":"2009-02-13T23:31:30.987654321Z","@version":"1"}"#)
    }

    /// Special bytes at every position a 16-byte block or the 8-byte step can put them.
    @Test func escapingAcrossBlockBoundaries() {
        let specials: [(Character, String)] = [("\"", #"\""#), ("\\", #"\\"#), ("\n", #"\n"#), ("\u{01}", #"\u0001"#)]
        for length in [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 100] {
            for at in 0..<length {
                for (special, escaped) in specials {
                    var chars = Array(repeating: Character("a"), count: length)
                    chars[at] = special
                    let expected = "\"" + String(repeating: "a", count: at) + escaped
                        + String(repeating: "a", count: length - at - 1) + "\""
                    #expect(json(.string(String(chars))) == expected, "length \(length), special at \(at)")
                }
            }
        }
    }

    /// Two specials in one word, next to bytes that sit just past the special ranges (space,
    /// `!`, `[`, `]`, DEL) and to multi-byte UTF-8: only the specials are escaped.
    @Test func escapingFindsEachSpecialAmongNearMisses() {
        let filler = Array("é! []\u{7F}x".unicodeScalars)
        for length in [2, 4, 5, 6, 7, 8, 9, 12, 16, 17, 24, 40] {
            for at in 0..<(length - 1) {
                var scalars = (0..<length).map { filler[$0 % filler.count] }
                scalars[at] = "\u{1F}"
                scalars[at + 1] = "\""
                var text = "", escaped = "\""
                text.unicodeScalars.append(contentsOf: scalars)
                for c in scalars {
                    switch c {
                    case "\u{1F}": escaped += "\\u001f"
                    case "\"": escaped += "\\\""
                    default: escaped.unicodeScalars.append(c)
                    }
                }
                escaped += "\""
                #expect(json(.string(text)) == escaped, "length \(length), specials at \(at)")
            }
        }
    }

    /// Strings of up to 15 bytes are written straight from the `String` value: every length,
    /// plain or with a special at each position, ASCII or not, into a buffer that must grow,
    /// compared with a byte-by-byte reference escaper.
    @Test func shortStringsTakeTheInlineBytesAndMatchAReferenceEscaper() {
        #expect(SmallString.layout != nil, "the inline fast path is off on this platform")
        func reference(_ s: String) -> [UInt8] {
            var out: [UInt8] = [0x22]
            for b in s.utf8 {
                switch b {
                case 0x22: out += Array(#"\""#.utf8)
                case 0x5C: out += Array(#"\\"#.utf8)
                case 0x0A: out += Array(#"\n"#.utf8)
                case 0x01: out += Array(#"\u0001"#.utf8)
                default: out.append(b)
                }
            }
            return out + [0x22]
        }
        var cases: [String] = []
        for length in 0...17 {
            cases.append(String(repeating: "k", count: length))
            if length >= 2 { cases.append("é" + String(repeating: "z", count: length - 2)) }
            for at in 0..<length {
                for special in ["\"", "\\", "\n", "\u{01}"] {
                    var chars = Array(repeating: "a", count: length)
                    chars[at] = special
                    cases.append(chars.joined())
                }
            }
        }
        var buffer = ByteBuffer(capacity: 1)
        var expected: [UInt8] = []
        for text in cases {
            JSONWriter.appendString(text, &buffer)
            buffer.append(UInt8(ascii: ","))
            expected += reference(text) + [UInt8(ascii: ",")]
        }
        #expect(buffer.withBytes { Array($0) } == expected)

        // The same strings as keys and values of an object, whose writer reads short ones
        // in place: each entry once with a short value and once with a long one.
        #expect((SmallString.layout?.valueOffset ?? -1) >= 0, "the in-place read of string values is off on this platform")
        var map = FieldMap()
        var objectExpected: [UInt8] = Array("{".utf8)
        for (k, text) in Set(cases).sorted().enumerated() {
            for (suffix, value) in [("", Value.string(text)), ("+", Value.string(text + String(repeating: "-", count: 20))), ("#", Value.int(Int64(k)))] {
                if map.count > 0 { objectExpected.append(UInt8(ascii: ",")) }
                map.append(uniqueKey: text + suffix, value)
                objectExpected += reference(text + suffix) + Array(":".utf8)
                switch value {
                case .string(let v): objectExpected += reference(v)
                default: objectExpected += Array(String(k).utf8)
                }
            }
        }
        objectExpected += Array("}".utf8)
        let got = Array(JSON.encodeToString(.object(map)).utf8)
        let firstDifference = zip(got, objectExpected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        let same = got == objectExpected
        #expect(same, "differs from byte \(firstDifference ?? min(got.count, objectExpected.count)) of \(objectExpected.count)")
        #expect(SmallString.plainBytes("fifteen bytes!!") != nil)
        #expect(SmallString.plainBytes("sixteen bytes!!!") == nil, "a large string read as inline")
        #expect(SmallString.plainBytes("a\"b") == nil, "a string needing escapes took the plain path")
    }

    @Test func eventEncoderGrowsItsBufferForLargeEvents() throws {
        var e = Event(message: String(repeating: "x", count: 100_000), timestamp: Timestamp(nanoseconds: 0))
        e.fields.set("n", .int(-42))
        var out: [UInt8] = Array("prefix|".utf8)
        JSON.encode(event: e, into: &out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.hasPrefix(#"prefix|{"@timestamp":"1970-01-01T00:00:00.000Z","@version":"1","message":"xxx"#))
        #expect(text.hasSuffix(#"xxx","n":-42}"#))
        #expect(out.count == 7 + 100_000 + #"{"@timestamp":"1970-01-01T00:00:00.000Z","@version":"1","message":"","n":-42}"#.utf8.count)
        let decoded = try JSON.decode(Array(out.dropFirst(7)))
        #expect(decoded.objectValue?["message"]?.stringValue?.utf8.count == 100_000)
    }

    @Test func byteBufferKeepsEveryByteAcrossGrowth() {
        var b = ByteBuffer(capacity: 1)
        var expected: [UInt8] = []
        for i in 0..<5000 {
            let byte = UInt8(truncatingIfNeeded: i)
            if i % 7 == 0 {
                let chunk = Array(repeating: byte, count: i % 50)
                chunk.withUnsafeBufferPointer { b.append(bytes: $0) }
                expected += chunk
            } else {
                b.append(byte)
                expected.append(byte)
            }
        }
        #expect(b.count == expected.count)
        #expect(b.withBytes { Array($0) } == expected)
        b.removeAll()
        #expect(b.count == 0)
    }

    @Test func eventOmitsMetadata() {
        let t = Timestamp(year: 2026, month: 11, day: 20, hour: 23, minute: 58, second: 44, nanosecond: 123_000_000)
        var e = Event(message: "hi", timestamp: t)
        e[field: "[@metadata][secret]"] = "x"
        e[field: "[host][name]"] = "h1"
        #expect(JSON.encodeToString(event: e) == #"{"@timestamp":"2026-11-20T23:58:44.123Z","@version":"1","message":"hi","host":{"name":"h1"}}"#)
        var bytes: [UInt8] = [0x41]
        JSON.encode(event: e, into: &bytes)
        #expect(bytes.first == 0x41 && bytes.count == 1 + JSON.encodeToString(event: e).utf8.count)
    }

    @Test func roundTrip() throws {
        let text = #"{"a":[1,2.5,-3,"s\u0001\"",{"b":null,"c":true}],"é":"日本😀","big":9223372036854775807,"f":1.0e-05}"#
        let v = try JSON.decode(text)
        #expect(json(v) == text)
        #expect(try JSON.decode(json(v)) == v)
    }

    /// A sanity bound, not a benchmark: 20k decode+encode round trips of a ~300-byte event must
    /// finish in seconds even in a debug build (release runs about 1 µs each).
    @Test func throughputSanity() throws {
        let line = Array(#"{"@timestamp":"2026-11-20T23:58:44.123Z","@version":"1","message":"GET /index.html HTTP/1.1 200 5123","host":{"name":"web-01.example.com"},"user_agent":"Mozilla/5.0 (X11; Linux x86_64)","bytes":5123,"duration":0.0123,"tags":["web","prod"],"geo":{"lat":52.52,"lon":13.405}}"#.utf8)
        #expect(line.count > 250)
        var out: [UInt8] = []
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for _ in 0..<20_000 {
                guard case .object(let m) = try JSON.decode(line) else { return }
                out.removeAll(keepingCapacity: true)
                JSON.encode(event: Event(fields: m), into: &out)
            }
        }
        #expect(out.count > 250)
        #expect(elapsed < .seconds(30))
    }
}
