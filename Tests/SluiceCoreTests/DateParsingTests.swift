import Testing
@testable import SluiceCore

@Suite struct DateParsingTests {
    static let t = Timestamp(year: 2026, month: 11, day: 20, hour: 23, minute: 58, second: 44, nanosecond: 123_000_000)

    func iso(_ s: String, _ zone: DateZone = .utc) -> Timestamp? { DateParsing.parseISO8601(s, defaultZone: zone) }

    @Test func iso8601Forms() {
        let t = DateParsingTests.t
        #expect(iso("2026-11-20T23:58:44.123Z") == t)
        #expect(iso("2026-11-20T23:58:44.123z") == t)
        #expect(iso("2026-11-20t23:58:44.123Z") == t)
        #expect(iso("2026-11-21T00:58:44.123+01:00") == t)
        #expect(iso("2026-11-21T00:58:44.123+0100") == t)
        #expect(iso("2026-11-21T00:58:44.123+01") == t)
        #expect(iso("2026-11-20T18:28:44.123-05:30") == t)
        #expect(iso("2026-11-20T23:58:44,123Z") == t)
        #expect(iso("2026-11-20 23:58:44.123Z") == t)
        #expect(iso("2026-11-20 23:58:44,123") == t)
        #expect(iso("2026-11-20 23:58:44.123+0000") == t)
        #expect(iso("2026-11-20T23:58:44Z") == Timestamp(seconds: t.epochSeconds))
        #expect(iso("2026-11-20T23:58Z") == Timestamp(seconds: t.epochSeconds - 44))
        #expect(iso("2026-11-20T23Z") == Timestamp(year: 2026, month: 11, day: 20, hour: 23))
        #expect(iso("2026-11-20") == Timestamp(year: 2026, month: 11, day: 20))
        #expect(iso("2026-11") == Timestamp(year: 2026, month: 11, day: 1))
        #expect(iso("2026") == Timestamp(year: 2026, month: 1, day: 1))
        #expect(iso("2026-324") == Timestamp(year: 2026, month: 11, day: 20))
        #expect(iso("2026-W47-5") == Timestamp(year: 2026, month: 11, day: 20))
        #expect(iso("2026-W01") == Timestamp(year: 2025, month: 12, day: 29))
    }

    @Test func iso8601Fractions() {
        let base = DateParsingTests.t.epochSeconds
        #expect(iso("2026-11-20T23:58:44.1Z") == Timestamp(seconds: base, nanos: 100_000_000))
        #expect(iso("2026-11-20T23:58:44.123456Z") == Timestamp(seconds: base, nanos: 123_456_000))
        #expect(iso("2026-11-20T23:58:44.123456789Z") == Timestamp(seconds: base, nanos: 123_456_789))
        #expect(iso("2026-11-20T23:58:44.123456789999Z") == Timestamp(seconds: base, nanos: 123_456_789))
    }

    @Test func iso8601DefaultZone() throws {
        let berlin = try #require(DateZone("Europe/Berlin"))
        #expect(iso("2026-07-01T12:00:00", berlin) == Timestamp(year: 2026, month: 7, day: 1, hour: 10))
        #expect(iso("2026-07-01T12:00:00Z", berlin) == Timestamp(year: 2026, month: 7, day: 1, hour: 12))
        #expect(iso("2026-03-29T02:30:00", berlin) == nil)  // inside the DST gap
    }

    @Test(arguments: ["", "2026-13-01", "2026-02-30", "2026-11-20T24:00:00Z", "2026-11-20T23:60Z",
                      "2026-11-20T23:58:44.Z", "20261120", "2026-11-20T23:58:44+1", "2026-11-20T23:58:44Zjunk",
                      "26-11-20", "2026-11-20T", "2026/11/20", "2026-W54", "2026-367", " 2026-11-20"])
    func iso8601Rejects(text: String) {
        #expect(iso(text) == nil)
    }

    @Test func eventTimestampFromJSON() throws {
        let e = try Event(fields: #require(JSON.decode(#"{"@timestamp":"2026-11-20T23:58:44.123Z"}"#).objectValue))
        #expect(e.timestamp == DateParsingTests.t)
        let bad = try Event(fields: #require(JSON.decode(#"{"@timestamp":"yesterday"}"#).objectValue))
        #expect(bad.hasTag("_timestampparsefailure"))
    }

    @Test func unixSeconds() {
        #expect(DateParsing.parseUnix("1795219124") == Timestamp(seconds: 1_795_219_124))
        #expect(DateParsing.parseUnix("1795219124.123") == DateParsingTests.t)
        #expect(DateParsing.parseUnix("1795219124.123456789") == Timestamp(seconds: 1_795_219_124, nanos: 123_456_789))
        #expect(DateParsing.parseUnix("1795219124.") == Timestamp(seconds: 1_795_219_124))
        #expect(DateParsing.parseUnix("-1.5") == Timestamp(nanoseconds: -1_500_000_000))
        #expect(DateParsing.parseUnix("+10") == Timestamp(seconds: 10))
        #expect(DateParsing.parseUnix("0") == Timestamp(seconds: 0))
        for bad in ["", "abc", "1e9", "4294967296", ".5", "12 ", "1.2.3", "-"] {
            #expect(DateParsing.parseUnix(bad) == nil, "\(bad)")
        }
        #expect(DateParsing.parseUnix(Int64(1_795_219_124)) == Timestamp(seconds: 1_795_219_124))
        #expect(DateParsing.parseUnix(1_795_219_124.123) == DateParsingTests.t)
        #expect(DateParsing.parseUnix(Double.nan) == nil)
        #expect(DateParsing.parseUnix(1e12) == nil)
    }

    @Test func unixMillis() {
        #expect(DateParsing.parseUnixMillis("1795219124123") == DateParsingTests.t)
        #expect(DateParsing.parseUnixMillis("1795219124123.5") == Timestamp(nanoseconds: 1_795_219_124_123_500_000))
        #expect(DateParsing.parseUnixMillis("-1000") == Timestamp(seconds: -1))
        #expect(DateParsing.parseUnixMillis("x") == nil)
        #expect(DateParsing.parseUnixMillis(Int64(1_795_219_124_123)) == DateParsingTests.t)
        #expect(DateParsing.parseUnixMillis(1_795_219_124_123.0) == DateParsingTests.t)
    }

    @Test func tai64n() {
        // 0x37c219bf = 935467455; minus Logstash's 10 s: 1999-08-24T04:04:05Z, 0x2ef02e94 ns.
        let expected = Timestamp(seconds: 935_467_445, nanos: 787_492_500)
        #expect(DateParsing.parseTAI64N("@4000000037c219bf2ef02e94") == expected)
        #expect(DateParsing.parseTAI64N("4000000037c219bf2ef02e94") == expected)
        #expect(DateParsing.parseTAI64N("@4000000037C219BF2EF02E94") == expected)
        #expect(expected.iso8601 == "1999-08-24T04:04:05.7874925Z" || expected.iso8601 == "1999-08-24T04:04:05.787492500Z")
        #expect(DateParsing.parseTAI64N("@4000000037c219bf2ef02e9") == nil)
        // Beyond what a timestamp holds (year 2262): rejected rather than wrapped around.
        #expect(DateParsing.parseTAI64N("@40000003ffffffff00000000") == nil)
        #expect(DateParsing.parseTAI64N("@4000000037c219bf2ef02e9g") == nil)
        #expect(DateParsing.parseTAI64N("@4000000037c219bfffffffff") == nil)  // > 999999999 ns
    }

    @Test func zones() throws {
        #expect(DateZone("UTC") == .utc)
        #expect(DateZone("Z") == .utc)
        #expect(DateZone("+02:00")?.offset(at: DateParsingTests.t) == 7200)
        #expect(DateZone("-0800")?.identifier == "-08:00")
        #expect(DateZone("+05")?.offset(at: DateParsingTests.t) == 18000)
        #expect(DateZone("+25:00") == nil)
        #expect(DateZone("Nowhere/Special") == nil)
        #expect(DateZone("") == nil)
        let berlin = try #require(DateZone("Europe/Berlin"))
        #expect(berlin.offset(at: Timestamp(year: 2026, month: 1, day: 15)) == 3600)
        #expect(berlin.offset(at: Timestamp(year: 2026, month: 7, day: 15)) == 7200)
        // The switch happens at 01:00 UTC on the last Sunday of March.
        #expect(berlin.offset(at: Timestamp(year: 2026, month: 3, day: 29, hour: 0, minute: 59, second: 59)) == 3600)
        #expect(berlin.offset(at: Timestamp(year: 2026, month: 3, day: 29, hour: 1)) == 7200)
        #expect(!berlin.isFixed && DateZone.utc.isFixed)
    }
}
