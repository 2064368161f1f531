import Testing
@testable import SluiceCore

@Suite struct JodaParserTests {
    static let berlin = DateZone("Europe/Berlin")
    /// A fixed "now" for year guessing: 2026-06-15T12:00:00Z.
    static let june = Timestamp(year: 2026, month: 6, day: 15, hour: 12)

    func parse(_ pattern: String, _ text: String, zone: DateZone? = .utc,
               now: Timestamp = JodaParserTests.june) throws -> Timestamp {
        try JodaParser(pattern, timezone: zone).parse(text, now: now)
    }

    func utc(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0, ns: Int = 0) -> Timestamp {
        Timestamp(year: y, month: mo, day: d, hour: h, minute: mi, second: s, nanosecond: ns)
    }

    @Test func apacheAccessLog() throws {
        #expect(try parse("dd/MMM/yyyy:HH:mm:ss Z", "20/Nov/2026:23:58:44 +0100") == utc(2026, 11, 20, 22, 58, 44))
        #expect(try parse("dd/MMM/yyyy:HH:mm:ss Z", "20/Nov/2026:23:58:44 -0530") == utc(2026, 11, 21, 5, 28, 44))
    }

    @Test func fractionsAndCommas() throws {
        #expect(try parse("yyyy-MM-dd HH:mm:ss,SSS", "2026-11-20 23:58:44,123") == utc(2026, 11, 20, 23, 58, 44, ns: 123_000_000))
        #expect(try parse("yyyy-MM-dd HH:mm:ss.SSSSSS", "2026-11-20 23:58:44.123456") == utc(2026, 11, 20, 23, 58, 44, ns: 123_456_000))
        #expect(try parse("HH:mm:ss.S", "01:02:03.5") == utc(2026, 1, 1, 1, 2, 3, ns: 500_000_000))
        #expect(try parse("HH:mm:ss.SSSSSSSSSSSS", "01:02:03.123456789123") == utc(2026, 1, 1, 1, 2, 3, ns: 123_456_789))
        #expect(throws: DateParseError.self) { try parse(String(repeating: "y", count: 30), String(repeating: "9", count: 30)) }
        // Joda reads at most as many fraction digits as the pattern has.
        #expect(throws: DateParseError.self) { try parse("yyyy-MM-dd HH:mm:ss.SSS", "2026-11-20 23:58:44.123456") }
    }

    @Test func syslogWithoutYear() throws {
        #expect(try parse("MMM  d HH:mm:ss", "Nov  5 10:00:00") == utc(2026, 11, 5, 10))
        #expect(try parse("MMM dd HH:mm:ss", "Nov 20 23:58:44") == utc(2026, 11, 20, 23, 58, 44))
        #expect(try parse("MMM d HH:mm:ss", "nov 5 10:00:00") == utc(2026, 11, 5, 10))
    }

    @Test func yearRolloverRule() throws {
        let newYear = utc(2027, 1, 1, 0, 5)
        #expect(try parse("MMM dd HH:mm:ss", "Dec 31 23:59:59", now: newYear) == utc(2026, 12, 31, 23, 59, 59))
        let newYearsEve = utc(2026, 12, 31, 23, 55)
        #expect(try parse("MMM  d HH:mm:ss", "Jan  1 00:00:01", now: newYearsEve) == utc(2027, 1, 1, 0, 0, 1))
        #expect(try parse("MMM dd", "Mar 03", now: newYear) == utc(2027, 3, 3))
        // Parsed as year 2000 (leap) then moved to the guessed year, as Joda's withYear does.
        #expect(try parse("MMM dd", "Feb 29", now: JodaParserTests.june) == utc(2026, 2, 28))
    }

    @Test func dayAndMonthNames() throws {
        #expect(try parse("EEE MMM dd yyyy", "Fri Nov 20 2026") == utc(2026, 11, 20))
        #expect(try parse("EEEE, MMMM d, yyyy", "Friday, November 20, 2026") == utc(2026, 11, 20))
        #expect(try parse("dd MMM yyyy", "20 NOVEMBER 2026") == utc(2026, 11, 20))
        #expect(try parse("dd MMMM yyyy", "20 nov 2026") == utc(2026, 11, 20))
        // Joda applies the day of week after the day of month: a wrong weekday moves the date
        // within its ISO week (Nov 20, 2026 is a Friday; "Tue" gives Tuesday the 17th).
        #expect(try parse("EEE MMM dd yyyy", "Tue Nov 20 2026") == utc(2026, 11, 17))
    }

    @Test func halfDays() throws {
        #expect(try parse("yyyy-MM-dd hh:mm a", "2026-11-20 11:58 PM") == utc(2026, 11, 20, 23, 58))
        #expect(try parse("yyyy-MM-dd hh:mm a", "2026-11-20 12:00 AM") == utc(2026, 11, 20, 0, 0))
        #expect(try parse("yyyy-MM-dd hh:mm a", "2026-11-20 12:30 pm") == utc(2026, 11, 20, 12, 30))
        #expect(try parse("yyyy-MM-dd K:mm a", "2026-11-20 0:30 PM") == utc(2026, 11, 20, 12, 30))
        #expect(try parse("yyyy-MM-dd kk:mm", "2026-11-20 24:30") == utc(2026, 11, 20, 0, 30))
    }

    @Test func offsetsAndZoneIds() throws {
        #expect(try parse("yyyy-MM-dd'T'HH:mm:ssZZ", "2026-11-20T23:58:44+02:00") == utc(2026, 11, 20, 21, 58, 44))
        #expect(try parse("yyyy-MM-dd'T'HH:mm:ssZ", "2026-11-20T23:58:44+02:00") == utc(2026, 11, 20, 21, 58, 44))
        #expect(try parse("yyyy-MM-dd'T'HH:mm:ssZZ", "2026-11-20T23:58:44Z") == utc(2026, 11, 20, 23, 58, 44))
        #expect(try parse("yyyy-MM-dd'T'HH:mm:ssZ", "2026-11-20T23:58:44+02") == utc(2026, 11, 20, 21, 58, 44))
        #expect(try parse("yyyy-MM-dd HH:mm:ss ZZZ", "2026-07-01 12:00:00 Europe/Berlin") == utc(2026, 7, 1, 10))
        #expect(try parse("yyyy-MM-dd HH:mm:ss ZZZ", "2026-07-01 12:00:00 UTC") == utc(2026, 7, 1, 12))
        #expect(try parse("ZZZ yyyy", "America/New_York 2026", zone: nil) == utc(2026, 1, 1, 5))
        #expect(try parse("yyyy-MM-dd HH:mm z", "2026-11-20 10:00 PST") == utc(2026, 11, 20, 18))
        // The parsed offset wins over the configured zone.
        #expect(try parse("yyyy-MM-dd HH:mm Z", "2026-11-20 10:00 +0000", zone: JodaParserTests.berlin) == utc(2026, 11, 20, 10))
    }

    @Test func configuredZone() throws {
        let berlin = try #require(JodaParserTests.berlin)
        #expect(try parse("yyyy-MM-dd HH:mm:ss", "2026-07-01 12:00:00", zone: berlin) == utc(2026, 7, 1, 10))
        #expect(try parse("yyyy-MM-dd HH:mm:ss", "2026-01-15 12:00:00", zone: berlin) == utc(2026, 1, 15, 11))
        let p = try JodaParser("yyyy-MM-dd HH:mm", timezone: .utc)
        #expect(try p.parse("2026-07-01 12:00", timezone: berlin) == utc(2026, 7, 1, 10))
        #expect(try p.parse("2026-07-01 12:00", timezone: DateZone("-08:00")) == utc(2026, 7, 1, 20))
    }

    @Test func daylightSavingBoundaries() throws {
        let berlin = try #require(JodaParserTests.berlin)
        // 2026-03-29 02:00 -> 03:00 in Berlin: 02:30 does not exist; Joda rejects it.
        #expect(try parse("yyyy-MM-dd HH:mm", "2026-03-29 01:59", zone: berlin) == utc(2026, 3, 29, 0, 59))
        #expect(throws: DateParseError.self) { try parse("yyyy-MM-dd HH:mm", "2026-03-29 02:30", zone: berlin) }
        #expect(try parse("yyyy-MM-dd HH:mm", "2026-03-29 03:00", zone: berlin) == utc(2026, 3, 29, 1, 0))
        // 2026-10-25 03:00 -> 02:00: 02:30 happens twice; the earlier (summer time) instant wins.
        #expect(try parse("yyyy-MM-dd HH:mm", "2026-10-25 02:30", zone: berlin) == utc(2026, 10, 25, 0, 30))
        #expect(try parse("yyyy-MM-dd HH:mm", "2026-10-25 03:30", zone: berlin) == utc(2026, 10, 25, 2, 30))
    }

    @Test func numericWidths() throws {
        #expect(try parse("yyyyMMdd", "20261120") == utc(2026, 11, 20))
        #expect(try parse("yyyyMMddHHmmss", "20261120235844") == utc(2026, 11, 20, 23, 58, 44))
        #expect(try parse("dd.MM.yyyy", "5.11.2026") == utc(2026, 11, 5))
        #expect(try parse("yy-MM-dd", "26-11-20") == utc(2026, 11, 20))
        #expect(try parse("yy-MM-dd", "2026-11-20") == utc(2026, 11, 20))   // lenient two-digit year
        #expect(try parse("yyMMdd", "261120") == utc(2026, 11, 20))
        #expect(try parse("yyyy-DDD", "2026-324") == utc(2026, 11, 20))
        #expect(try parse("xxxx-'W'ww-e", "2026-W47-5") == utc(2026, 11, 20))
        #expect(try parse("yyyy-MM-dd", "+2026-11-20") == utc(2026, 11, 20))
        // Years Joda reads but a nanosecond timestamp cannot hold fail instead of wrapping.
        #expect(throws: DateParseError.self) { try parse("yyyy-MM-dd", "-0044-03-15") }
        #expect(throws: DateParseError.self) { try parse("yyyy", "123456789") }
    }

    @Test func twoDigitYearPivot() throws {
        let pivot = Timestamp.now().components().year - 30
        let parsed = try parse("yy", "50").components().year
        #expect(parsed >= pivot - 50 && parsed < pivot + 50 && parsed % 100 == 50)
    }

    @Test func failures() throws {
        func message(_ pattern: String, _ text: String) -> String? {
            do { _ = try parse(pattern, text); return nil } catch let e as DateParseError { return e.message } catch { return "\(error)" }
        }
        #expect(message("yyyy-MM-dd", "2026-13-01") == #"Cannot parse "2026-13-01": Value 13 for monthOfYear must be in the range [1,12]"#)
        #expect(message("yyyy-MM-dd", "2026-02-29")?.contains("dayOfMonth") == true)
        #expect(message("yyyy-MM-dd", "garbage") == #"Invalid format: "garbage" is malformed at "garbage""#)
        #expect(message("yyyy-MM-dd", "2026-11") == #"Invalid format: "2026-11" is too short"#)
        #expect(message("yyyy-MM-dd", "2026-11-20x") == #"Invalid format: "2026-11-20x" is malformed at "x""#)
        #expect(message("HH:mm", "25:00")?.contains("hourOfDay") == true)
        #expect(message("dd MMM yyyy", "20 Foo 2026") == #"Invalid format: "20 Foo 2026" is malformed at "Foo 2026""#)
        #expect(message("yyyy-MM-dd", "") == #"Invalid format: "" is too short"#)
    }

    @Test func illegalPatterns() {
        #expect(throws: DatePatternError.self) { try JodaParser("yyyy-bb") }
        #expect(throws: DatePatternError.self) { try JodaParser("Cyy") }
        #expect((try? JodaParser("yyyy 'bb'")) != nil)
        #expect((try? JodaParser("MMM d")).map { !$0.hasYear } == true)
    }

    @Test func randomInputNeverCrashes() {
        let patterns = ["yyyy-MM-dd HH:mm:ss.SSS Z", "MMM  d HH:mm:ss", "EEE, dd MMM yyyy HH:mm:ss ZZ", "yy", "ZZZ", "hh a", "D e w"]
        let alphabet: [Character] = ["0", "1", "2", "9", "-", ":", " ", "+", "Z", "N", "o", "v", "/", "A", "M", "."]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let text = String((0..<Int.random(in: 0...24, using: &rng)).map { _ in alphabet.randomElement(using: &rng) ?? "0" })
            for p in patterns { _ = try? parse(p, text) }
            _ = DateParsing.parseISO8601(text)
            _ = DateParsing.parseUnix(text)
            _ = DateParsing.parseTAI64N(text)
        }
    }
}
