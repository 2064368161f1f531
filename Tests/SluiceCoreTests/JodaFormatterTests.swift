import Testing
@testable import SluiceCore

@Suite struct JodaFormatterTests {
    /// 2026-11-20T23:58:44.123456789Z, a Friday, day 324, ISO week 47.
    static let t = Timestamp(year: 2026, month: 11, day: 20, hour: 23, minute: 58, second: 44, nanosecond: 123_456_789)
    static let summer = Timestamp(year: 2026, month: 7, day: 1, hour: 10)
    static let berlin = DateZone("Europe/Berlin")

    func f(_ pattern: String, _ t: Timestamp = JodaFormatterTests.t, zone: DateZone = .utc) -> String {
        JodaFormatter(pattern, zone: zone).format(t)
    }

    func java(_ pattern: String, _ t: Timestamp = JodaFormatterTests.t, zone: DateZone = .utc) -> String {
        JodaFormatter(javaTimePattern: pattern, zone: zone).format(t)
    }

    @Test(arguments: [
        ("yyyy-MM-dd HH:mm:ss.SSS", "2026-11-20 23:58:44.123"), ("YYYY.MM.dd", "2026.11.20"), ("YYYYMMdd", "20261120"),
        ("yy", "26"), ("y", "2026"), ("yyyyy", "02026"), ("YY", "26"),
        ("M", "11"), ("MM", "11"), ("MMM", "Nov"), ("MMMM", "November"), ("d", "20"), ("dd", "20"),
        ("E", "Fri"), ("EEE", "Fri"), ("EEEE", "Friday"), ("e", "5"), ("D", "324"), ("DDD", "324"),
        ("H", "23"), ("HH", "23"), ("h:mm a", "11:58 PM"), ("K", "11"), ("k", "23"), ("m", "58"), ("s", "44"),
        ("S", "1"), ("SS", "12"), ("SSSSSS", "123456"), ("SSSSSSSSS", "123456789"), ("SSSSSSSSSSS", "12345678900"),
        ("Z", "+0000"), ("ZZ", "+00:00"), ("ZZZ", "UTC"), ("z", "UTC"), ("G", "AD"), ("C", "20"),
        ("xxxx-'W'ww", "2026-W47"), ("'T'", "T"), ("''", "'"), ("'o''clock' h", "o'clock 11"), ("X", "Z"),
        ("dd/MMM/yyyy:HH:mm:ss Z", "20/Nov/2026:23:58:44 +0000"), ("q", "q"),
    ])
    func utcVectors(pattern: String, expected: String) {
        #expect(f(pattern) == expected)
    }

    @Test func padding() {
        let t = Timestamp(year: 2026, month: 3, day: 5, hour: 0, minute: 7, second: 9, nanosecond: 5_000_000)
        #expect(f("d/M/y H:m:s", t) == "5/3/2026 0:7:9")
        #expect(f("dd/MM/yyyy HH:mm:ss.SSS", t) == "05/03/2026 00:07:09.005")
        #expect(f("hh a, k, K", t) == "12 AM, 24, 0")
        #expect(f("D DDD", t) == "64 064")
    }

    @Test func namedZones() throws {
        let berlin = try #require(JodaFormatterTests.berlin)
        #expect(f("yyyy-MM-dd HH:mm Z", zone: berlin) == "2026-11-21 00:58 +0100")
        #expect(f("HH:mm ZZ", JodaFormatterTests.summer, zone: berlin) == "12:00 +02:00")
        #expect(f("ZZZ", zone: berlin) == "Europe/Berlin")
        let pst = DateZone.fixed(offsetSeconds: -8 * 3600)
        #expect(f("yyyy-MM-dd HH:mm ZZ ZZZ", zone: pst) == "2026-11-20 15:58 -08:00 -08:00")
    }

    @Test func weekYearsAtYearBoundaries() {
        #expect(f("xxxx-'W'ww-e", Timestamp(year: 2027, month: 1, day: 1)) == "2026-W53-5")
        #expect(f("xxxx-'W'ww-e", Timestamp(year: 2021, month: 1, day: 3)) == "2020-W53-7")
        #expect(f("xxxx-'W'ww", Timestamp(year: 2024, month: 12, day: 30)) == "2025-W01")
        #expect(f("yyyy", Timestamp(year: 2024, month: 12, day: 30)) == "2024")
    }

    @Test func javaTimeDialect() throws {
        #expect(java("uuuu-MM-dd") == "2026-11-20")
        #expect(java("yyyy-MM-dd'T'HH:mm:ssXXX") == "2026-11-20T23:58:44Z")
        #expect(java("xx xxx x") == "+0000 +00:00 +00")
        #expect(java("Q QQQ") == "4 Q4")
        #expect(java("n") == "123456789")
        #expect(java("[yyyy]") == "2026")
        #expect(java("EEEEE MMMMM") == "F N")
        #expect(java("YYYY-'W'ww") == "2026-W47")
        let berlin = try #require(JodaFormatterTests.berlin)
        #expect(java("yyyy-MM-dd'T'HH:mmXXX VV", zone: berlin) == "2026-11-21T00:58+01:00 Europe/Berlin")
        #expect(java("ZZZZ O", zone: berlin) == "GMT+01:00 GMT+1")
        #expect(java("ZZZZZ", zone: .utc) == "Z")
    }

    @Test func negativeOffsetsWithMinutes() {
        let nf = DateZone.fixed(offsetSeconds: -(3 * 3600 + 30 * 60))
        #expect(f("Z ZZ", zone: nf) == "-0330 -03:30")
        #expect(java("X XX XXX", zone: nf) == "-0330 -0330 -03:30")
    }
}
