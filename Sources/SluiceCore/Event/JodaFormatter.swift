/// Formats timestamps with a Joda-Time pattern (`YYYY.MM.dd`, `dd/MMM/yyyy:HH:mm:ss Z`) in a zone.
/// Compiled once; formatting appends bytes without intermediate strings.
///
/// In Joda `Y` is the year of era, which is the year for every date after year 0 — so
/// `%{+YYYY.MM.dd}` prints the calendar year, as Logstash users expect. (In java.time
/// `Y` is the week-based year; `x` is Joda's week-based year.)
/// Unknown letters print as themselves: sprintf must never fail on a template.
public struct JodaFormatter: Sendable {
    public let pattern: String
    public let zone: DateZone
    let compiled: DatePattern

    public init(_ pattern: String, zone: DateZone = .utc) {
        self.pattern = pattern
        self.zone = zone
        compiled = DatePattern(pattern, dialect: .joda)
    }

    /// A java.time `DateTimeFormatter` pattern (sprintf's `%{{...}}` form).
    public init(javaTimePattern pattern: String, zone: DateZone = .utc) {
        self.pattern = pattern
        self.zone = zone
        compiled = DatePattern(pattern, dialect: .javaTime)
    }

    public func format(_ t: Timestamp) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        format(t, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public func format(_ t: Timestamp, into out: inout [UInt8]) {
        compiled.format(t, zone: zone, into: &out)
    }
}

extension DatePattern {
    func format(_ t: Timestamp, zone: DateZone, into out: inout [UInt8]) {
        let offset = zone.offset(at: t)
        let c = t.components(offsetSeconds: offset)
        for token in tokens {
            switch token {
            case .literal(let bytes): out.append(contentsOf: bytes)
            case .field(let f, let width): DatePattern.append(f, width, c, t, zone, into: &out)
            }
        }
    }

    private static func append(_ f: Field, _ width: Int, _ c: Timestamp.Components, _ t: Timestamp,
                               _ zone: DateZone, into out: inout [UInt8]) {
        switch f {
        case .era: out.append(contentsOf: c.year <= 0 ? DateNames.eras[0] : DateNames.eras[1])
        case .century: appendNumber((c.year <= 0 ? 1 - c.year : c.year) / 100, width, &out)
        case .year: appendYear(c.year, width, &out)
        case .yearOfEra: appendYear(c.year <= 0 ? 1 - c.year : c.year, width, &out)
        case .weekyear: appendYear(isoWeek(c).weekyear, width, &out)
        case .weekOfWeekyear: appendNumber(isoWeek(c).week, width, &out)
        case .dayOfWeekNumber: appendNumber(c.weekday, width, &out)
        case .dayOfWeekText: DateNames.append(DateNames.weekdays[c.weekday - 1], width: width, into: &out)
        case .dayOfYear: appendNumber(c.dayOfYear, width, &out)
        case .month:
            if width >= 3 { DateNames.append(DateNames.months[c.month - 1], width: width, into: &out) }
            else { appendNumber(c.month, width, &out) }
        case .day: appendNumber(c.day, width, &out)
        case .halfday: out.append(contentsOf: DateNames.halfdays[c.hour < 12 ? 0 : 1])
        case .hourOfHalfday: appendNumber(c.hour % 12, width, &out)
        case .clockhourOfHalfday: appendNumber(c.hour % 12 == 0 ? 12 : c.hour % 12, width, &out)
        case .hourOfDay: appendNumber(c.hour, width, &out)
        case .clockhourOfDay: appendNumber(c.hour == 0 ? 24 : c.hour, width, &out)
        case .minute: appendNumber(c.minute, width, &out)
        case .second: appendNumber(c.second, width, &out)
        case .fraction: appendFraction(c.nanosecond, width, &out)
        case .nanoOfSecond: appendNumber(c.nanosecond, width, &out)
        case .milliOfDay:
            appendNumber((c.hour * 3600 + c.minute * 60 + c.second) * 1000 + c.nanosecond / 1_000_000, width, &out)
        case .quarter:
            let q = (c.month - 1) / 3 + 1
            if width <= 2 { appendNumber(q, width, &out) }
            else if width == 3 { out.append(UInt8(ascii: "Q")); appendNumber(q, 1, &out) }
            else { out.append(contentsOf: Array(["1st", "2nd", "3rd", "4th"][q - 1].utf8) + Array(" quarter".utf8)) }
        case .zoneName:
            out.append(contentsOf: Array((width >= 4 ? zone.longName(at: t) : zone.shortName(at: t)).utf8))
        case .zoneId: out.append(contentsOf: Array(zone.identifier.utf8))
        case .offset(let style): appendOffset(c.offsetSeconds, style, &out)
        }
    }

    /// `yy` is the two-digit year; other widths pad to at least that many digits.
    private static func appendYear(_ y: Int, _ width: Int, _ out: inout [UInt8]) {
        if width == 2 { appendNumber(((y % 100) + 100) % 100, 2, &out) } else { appendNumber(y, width, &out) }
    }

    /// Fraction of second truncated (not rounded) to `width` digits, as Joda does.
    private static func appendFraction(_ nanos: Int, _ width: Int, _ out: inout [UInt8]) {
        var divisor = 100_000_000
        for i in 0..<width {
            if i < 9 { out.append(UInt8(48 + nanos / divisor % 10)); divisor /= 10 } else { out.append(48) }
        }
    }

    static func appendOffset(_ off: Int, _ s: OffsetStyle, _ out: inout [UInt8]) {
        if off == 0, let zero = s.zero { out.append(contentsOf: Array(zero.utf8)); return }
        if s.gmt { out.append(contentsOf: [71, 77, 84]) }  // "GMT"
        out.append(off < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let a = abs(off)
        let (h, m, sec) = (a / 3600, a / 60 % 60, a % 60)
        if s.shortHour { appendNumber(h, 1, &out) } else { appendTwoDigits(h, &out) }
        if s.optionalMinutes && m == 0 && sec == 0 { return }
        if s.colon { out.append(UInt8(ascii: ":")) }
        appendTwoDigits(m, &out)
        if s.seconds && sec != 0 {
            if s.colon { out.append(UInt8(ascii: ":")) }
            appendTwoDigits(sec, &out)
        }
    }

    /// ISO-8601 week date: weeks start on Monday, week 1 holds the year's first Thursday.
    static func isoWeek(_ c: Timestamp.Components) -> (weekyear: Int, week: Int) {
        let w = (c.dayOfYear - c.weekday + 10) / 7
        if w < 1 { return (c.year - 1, weeksInYear(c.year - 1)) }
        if w > weeksInYear(c.year) { return (c.year + 1, 1) }
        return (c.year, w)
    }

    static func weeksInYear(_ y: Int) -> Int {
        // A year has 53 ISO weeks when it starts on a Thursday, or on a Wednesday in a leap year.
        let jan1 = Timestamp(year: y, month: 1, day: 1).components().weekday
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        return jan1 == 4 || (leap && jan1 == 3) ? 53 : 52
    }
}

/// Appends `v` in decimal, zero-padded to at least `width` digits.
@inline(__always)
func appendNumber(_ v: Int, _ width: Int, _ out: inout [UInt8]) {
    if v < 0 { out.append(UInt8(ascii: "-")) }
    let x = UInt64(v.magnitude)
    var digits = 1, rest = x / 10
    while rest > 0 { digits += 1; rest /= 10 }
    for _ in digits..<max(digits, width) { out.append(48) }
    JSONWriter.appendDigits(x, &out)
}
