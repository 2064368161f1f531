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
