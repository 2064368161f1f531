/// Parses text with a Joda-Time pattern, as Logstash's `date` filter does (`match => ["ts",
/// "dd/MMM/yyyy:HH:mm:ss Z"]`).
///
/// Joda's rules are kept: numeric fields take up to two digits (three for `D`, more for a
/// wider token), a year takes up to nine unless a numeric field follows directly; `yy` uses
/// a pivot of (this year - 30) ± 50; month and day names match short or full, any case;
/// literals match case-insensitively; the whole text must be consumed; a day-of-week moves
/// the date within its ISO week (Joda applies it after the day of month). Without a year in
/// the pattern the year is guessed as Logstash does: this year, except a December date seen in
/// January is last year's and a January date seen in December is next year's.
/// Names are English only (Logstash's `locale` is not supported).
public struct JodaParser: Sendable {
    public let pattern: String
    /// Zone for text without an offset or zone id; nil means the platform default, as in Logstash.
    public let timezone: DateZone?
    let compiled: DatePattern
    /// Per token: most digits a numeric field may take.
    private let maxDigits: [Int]
    /// Per token: a `yy` year that may also take a full year (nothing numeric follows it).
    private let lenientYear: [Bool]
    /// Two-digit years land in pivot ± 50; Joda's pivot is (this year - 30), fixed when the pattern is built.
    let pivotYear: Int

    public init(_ pattern: String, timezone: DateZone? = nil) throws(DatePatternError) {
        let compiled = DatePattern(pattern, dialect: .joda)
        if let bad = compiled.unknownLetters.first {
            throw DatePatternError(pattern: pattern, message: "Illegal pattern component: \(bad)")
        }
        var maxDigits: [Int] = []
        var lenient: [Bool] = []
        for (i, token) in compiled.tokens.enumerated() {
            let nextNumeric = i + 1 < compiled.tokens.count && JodaParser.isNumeric(compiled.tokens[i + 1])
            guard case .field(let f, let w) = token else { maxDigits.append(0); lenient.append(false); continue }
            switch f {
            case .century:
                throw DatePatternError(pattern: pattern, message: "century of era (C) cannot be parsed")
            case .year, .yearOfEra, .weekyear: maxDigits.append(w == 2 ? 2 : (nextNumeric ? w : 9))
            case .dayOfYear: maxDigits.append(max(w, 3))
            case .fraction: maxDigits.append(w)
            case .dayOfWeekNumber: maxDigits.append(max(w, 1))
            default: maxDigits.append(max(w, 2))
            }
            lenient.append(w == 2 && !nextNumeric)
        }
        self.pattern = pattern
        self.timezone = timezone
        self.compiled = compiled
        self.maxDigits = maxDigits
        self.lenientYear = lenient
        self.pivotYear = Timestamp.now().components().year - 30
    }

    /// Whether the pattern contains a year (otherwise the year is guessed).
    public var hasYear: Bool { compiled.hasYear }

    /// Parses `text`. `timezone` overrides the parser's zone for this call (the date filter's
    /// `timezone` may be a sprintf template); `now` is for the year guess and defaults to the clock.
    public func parse(_ text: String, timezone: DateZone? = nil, now: Timestamp? = nil) throws(DateParseError) -> Timestamp {
        switch withBytes(text, { parse(bytes: $0, timezone: timezone, now: now) }) {
        case .success(let t): return t
        case .failure(let f): throw DateParseError(text: text, failure: f)
        }
    }

    enum Failure: Error { case malformed(at: Int), tooShort, value(String), gap }

    private struct Fields {
        var year: Int?, yearOfEra: Int?, bc = false, weekyear: Int?, week: Int?, dayOfWeek: Int?
        var dayOfYear: Int?, month: Int?, day: Int?
        var pm: Bool?, hourOfDay: Int?, clockhourOfDay: Int?, hourOfHalfday: Int?, clockhourOfHalfday: Int?
        var minute = 0, second = 0, nanos = 0
        var offset: Int?, zone: DateZone?
    }

    private func parse(bytes b: UnsafeBufferPointer<UInt8>, timezone: DateZone?, now: Timestamp?) -> Result<Timestamp, Failure> {
        var f = Fields()
        var i = 0
        for (n, token) in compiled.tokens.enumerated() {
            switch token {
            case .literal(let lit):
                guard i + lit.count <= b.count else { return .failure(i < b.count ? .malformed(at: i) : .tooShort) }
                for k in 0..<lit.count where DateNames.lower(b[i + k]) != DateNames.lower(lit[k]) {
                    return .failure(.malformed(at: i))
                }
                i += lit.count
            case .field(let field, let width):
                guard i < b.count else { return .failure(.tooShort) }
                guard let end = parseField(field, width, n, b, i, &f) else { return .failure(.malformed(at: i)) }
                i = end
            }
        }
        if i < b.count { return .failure(.malformed(at: i)) }
        return resolve(f, timezone: timezone, now: now)
    }

    /// Parses one field at `i`, storing it in `f`; returns the end position or nil.
    private func parseField(_ field: DatePattern.Field, _ width: Int, _ n: Int, _ b: UnsafeBufferPointer<UInt8>,
                            _ i: Int, _ f: inout Fields) -> Int? {
        func number(signed: Bool = false) -> (Int, Int)? {
            JodaParser.number(b, i, max: maxDigits[n], signed: signed)
        }
        switch field {
        case .year, .yearOfEra, .weekyear:
            guard let (v, end) = width == 2 ? twoDigitYear(b, i, lenient: lenientYear[n]) : number(signed: true)
            else { return nil }
            if field == .year { f.year = v } else if field == .yearOfEra { f.yearOfEra = v } else { f.weekyear = v }
            return end
        case .era:
            guard let m = DateNames.match(DateNames.eras, in: b, at: i, allowShort: false) else { return nil }
            f.bc = m.index == 0
            return m.end
        case .month where width >= 3:
            guard let m = DateNames.match(DateNames.months, in: b, at: i) else { return nil }
            f.month = m.index + 1
            return m.end
        case .dayOfWeekText:
            guard let m = DateNames.match(DateNames.weekdays, in: b, at: i) else { return nil }
            f.dayOfWeek = m.index + 1
            return m.end
        case .halfday:
            guard let m = DateNames.match(DateNames.halfdays, in: b, at: i, allowShort: false) else { return nil }
            f.pm = m.index == 1
            return m.end
        case .fraction:
            guard let (v, end) = number() else { return nil }
            var nanos = v
            var digits = end - i
            while digits < 9 { nanos *= 10; digits += 1 }
            while digits > 9 { nanos /= 10; digits -= 1 }
            f.nanos = nanos
            return end
        case .offset:
            guard let (off, end) = JodaParser.offset(b, i) else { return nil }
            f.offset = off
            return end
        case .zoneId:
            guard let (zone, end) = JodaParser.zoneId(b, i) else { return nil }
            f.zone = zone
            return end
        case .zoneName:
            guard let (off, end) = JodaParser.zoneAbbreviation(b, i) else { return nil }
            f.offset = off
            return end
        default:
            guard let (v, end) = number() else { return nil }
            switch field {
            case .weekOfWeekyear: f.week = v
            case .dayOfWeekNumber: f.dayOfWeek = v
            case .dayOfYear: f.dayOfYear = v
            case .month: f.month = v
            case .day: f.day = v
            case .hourOfDay: f.hourOfDay = v
            case .clockhourOfDay: f.clockhourOfDay = v
            case .hourOfHalfday: f.hourOfHalfday = v
            case .clockhourOfHalfday: f.clockhourOfHalfday = v
            case .minute: f.minute = v
            case .second: f.second = v
            default: return nil
            }
            return end
        }
    }

    // MARK: building the instant

    private func resolve(_ f: Fields, timezone: DateZone?, now: Timestamp?) -> Result<Timestamp, Failure> {
        func check(_ v: Int, _ name: String, _ lo: Int, _ hi: Int) -> Failure? {
            v >= lo && v <= hi ? nil : .value("Value \(v) for \(name) must be in the range [\(lo),\(hi)]")
        }
        // A parsed offset is applied directly: building a fixed DateZone would allocate its name.
        let zone = f.offset != nil ? DateZone.utc : f.zone ?? timezone ?? self.timezone ?? .current
        // Joda parses without a year as year 2000 (a leap year, so Feb 29 passes), then Logstash swaps in its guess.
        var year = f.year ?? f.yearOfEra.map { f.bc ? 1 - $0 : $0 } ?? f.weekyear ?? 2000
        let month = f.month ?? 1
        if let e = check(month, "monthOfYear", 1, 12) { return .failure(e) }
        if !compiled.hasYear {
            let clock = now ?? .now()
            let c = clock.components(offsetSeconds: zone.offset(at: clock))
            let (nowYear, nowMonth) = (c.year, c.month)
            year = month == 12 && nowMonth == 1 ? nowYear - 1 : (month == 1 && nowMonth == 12 ? nowYear + 1 : nowYear)
        }
        var days: Int64
        if f.week != nil || (f.weekyear != nil && f.month == nil) {
            let wy = f.weekyear ?? year
            let week = f.week ?? 1, dow = f.dayOfWeek ?? 1
            if let e = check(week, "weekOfWeekyear", 1, DatePattern.weeksInYear(wy)) ?? check(dow, "dayOfWeek", 1, 7) {
                return .failure(e)
            }
            let jan4 = Timestamp.days(fromCivil: wy, 1, 4)
            let jan4Weekday = Int(((jan4 % 7) + 7 + 3) % 7) + 1
            days = jan4 - Int64(jan4Weekday - 1) + Int64((week - 1) * 7 + dow - 1)
        } else if let doy = f.dayOfYear, f.month == nil, f.day == nil {
            if let e = check(doy, "dayOfYear", 1, JodaParser.isLeap(year) ? 366 : 365) { return .failure(e) }
            days = Timestamp.days(fromCivil: year, 1, 1) + Int64(doy - 1)
        } else {
            var day = f.day ?? 1
            let limit = JodaParser.daysIn(month, compiled.hasYear ? year : 2000)
            if let e = check(day, "dayOfMonth", 1, limit) { return .failure(e) }
            day = min(day, JodaParser.daysIn(month, year))  // Feb 29 moved to a common year, as Joda's withYear does
            days = Timestamp.days(fromCivil: year, month, day)
            if let dow = f.dayOfWeek {
                if let e = check(dow, "dayOfWeek", 1, 7) { return .failure(e) }
                days += Int64(dow - (Int(((days % 7) + 7 + 3) % 7) + 1))
            }
        }
        var hour = 0
        if let h = f.hourOfDay {
            if let e = check(h, "hourOfDay", 0, 23) { return .failure(e) }
            hour = h
            if let pm = f.pm { hour = pm ? (h < 12 ? h + 12 : h) : (h >= 12 ? h - 12 : h) }
        } else if let k = f.clockhourOfDay {
            if let e = check(k, "clockhourOfDay", 1, 24) { return .failure(e) }
            hour = k % 24
        } else if let k = f.hourOfHalfday {
            if let e = check(k, "hourOfHalfday", 0, 11) { return .failure(e) }
            hour = k + (f.pm == true ? 12 : 0)
        } else if let h = f.clockhourOfHalfday {
            if let e = check(h, "clockhourOfHalfday", 1, 12) { return .failure(e) }
            hour = h % 12 + (f.pm == true ? 12 : 0)
        } else if f.pm == true {
            hour = 12
        }
        if let e = check(f.minute, "minuteOfHour", 0, 59) ?? check(f.second, "secondOfMinute", 0, 59) {
            return .failure(e)
        }
        let local = days * 86_400 + Int64(hour * 3600 + f.minute * 60 + f.second)
        guard let utc = f.offset.map({ local - Int64($0) }) ?? zone.epochSecond(fromLocal: local) else {
            return .failure(.gap)
        }
        guard DateParsing.representable(utc) else { return .failure(.value("year \(year) is out of range")) }
        return .success(Timestamp(seconds: utc, nanos: Int64(f.nanos)))
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func isNumeric(_ t: DatePattern.Token) -> Bool {
        guard case .field(let f, let w) = t else { return false }
        switch f {
        case .century, .year, .yearOfEra, .weekyear, .weekOfWeekyear, .dayOfWeekNumber, .dayOfYear, .day,
             .hourOfHalfday, .clockhourOfHalfday, .hourOfDay, .clockhourOfDay, .minute, .second, .fraction:
            return true
        case .month: return w <= 2
        default: return false
        }
    }
}

public struct DatePatternError: Error, Sendable, CustomStringConvertible {
    public let pattern: String
    public let message: String
    public var description: String { "invalid date pattern `\(pattern)`: \(message)" }
}

/// Why a text did not parse, in Joda's words (Logstash logs these with `_dateparsefailure`).
public struct DateParseError: Error, Sendable, CustomStringConvertible {
    public let text: String
    public let message: String

    init(text: String, failure: JodaParser.Failure) {
        self.text = text
        switch failure {
        case .malformed(let at):
            let rest = String(decoding: text.utf8.dropFirst(at), as: UTF8.self)
            message = "Invalid format: \"\(text)\" is malformed at \"\(rest)\""
        case .tooShort: message = "Invalid format: \"\(text)\" is too short"
        case .value(let m): message = "Cannot parse \"\(text)\": \(m)"
        case .gap: message = "Cannot parse \"\(text)\": Illegal instant due to time zone offset transition"
        }
    }

    public var description: String { message }
}
