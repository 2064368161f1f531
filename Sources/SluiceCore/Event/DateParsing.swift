/// The date filter's named formats (`ISO8601`, `UNIX`, `UNIX_MS`, `TAI64N`) and the parser
/// `Event` uses for `@timestamp` strings. All work on UTF-8 bytes; none allocates on success.
public enum DateParsing {
    // MARK: ISO8601

    /// Parses what Logstash's `ISO8601` accepts: Joda's ISO date-time parser (`2026-11-20`,
    /// `2026-11-20T23:58`, `2026-11-20T23:58:44.123Z`, `+01:00` / `+0100` / `+01` offsets,
    /// ordinal `2026-324` and week `2026-W47-5` dates) plus the casual forms with a space
    /// instead of `T` and `,` before the fraction. Up to 9 fraction digits are kept (more are
    /// truncated). Text without an offset is read in `defaultZone`.
    public static func parseISO8601(_ s: String, defaultZone: DateZone = .utc) -> Timestamp? {
        withBytes(s) { parseISO8601(bytes: $0, defaultZone: defaultZone) }
    }

    public static func parseISO8601(bytes b: UnsafeBufferPointer<UInt8>, defaultZone: DateZone = .utc) -> Timestamp? {
        var r = ByteReader(b)
        guard let year = r.year() else { return nil }
        var days: Int64
        if r.done {
            days = Timestamp.days(fromCivil: year, 1, 1)
        } else {
            guard r.take(UInt8(ascii: "-")) else { return nil }
            if r.take(UInt8(ascii: "W")) {
                guard let week = r.digits(2), week >= 1, week <= DatePattern.weeksInYear(year) else { return nil }
                var dow = 1
                if r.take(UInt8(ascii: "-")) { guard let d = r.digits(1), d >= 1, d <= 7 else { return nil }; dow = d }
                let jan4 = Timestamp.days(fromCivil: year, 1, 4)
                let jan4Weekday = Int(((jan4 % 7) + 7 + 3) % 7) + 1
                days = jan4 - Int64(jan4Weekday - 1) + Int64((week - 1) * 7 + dow - 1)
            } else if r.digitRun == 3 {
                guard let doy = r.digits(3), doy >= 1, doy <= (JodaParser.isLeap(year) ? 366 : 365) else { return nil }
                days = Timestamp.days(fromCivil: year, 1, 1) + Int64(doy - 1)
            } else {
                guard let month = r.digits(2), month >= 1, month <= 12 else { return nil }
                var day = 1
                if r.take(UInt8(ascii: "-")) {
                    guard let d = r.digits(2), d >= 1, d <= JodaParser.daysIn(month, year) else { return nil }
                    day = d
                }
                days = Timestamp.days(fromCivil: year, month, day)
            }
        }
        var secondOfDay = 0, nanos = 0
        var offset: Int? = nil
        if !r.done {
            guard r.take(UInt8(ascii: "T")) || r.take(UInt8(ascii: "t")) || r.take(UInt8(ascii: " ")) else { return nil }
            guard let h = r.digits(2), h <= 23 else { return nil }
            var m = 0, s = 0
            if r.take(UInt8(ascii: ":")) {
                guard let mm = r.digits(2), mm <= 59 else { return nil }
                m = mm
                if r.take(UInt8(ascii: ":")) {
                    guard let ss = r.digits(2), ss <= 59 else { return nil }
                    s = ss
                    if r.take(UInt8(ascii: ".")) || r.take(UInt8(ascii: ",")) {
                        guard let f = r.fraction() else { return nil }
                        nanos = f
                    }
                }
            }
            secondOfDay = h * 3600 + m * 60 + s
            if !r.done {
                guard let o = r.offset() else { return nil }
                offset = o
            }
        }
        guard r.done else { return nil }
        let local = days * 86_400 + Int64(secondOfDay)
        let utc: Int64
        if let offset { utc = local - Int64(offset) } else {
            guard let u = defaultZone.epochSecond(fromLocal: local) else { return nil }
            utc = u
        }
        guard DateParsing.representable(utc) else { return nil }
        return Timestamp(seconds: utc, nanos: Int64(nanos))
    }

    /// Timestamps hold nanoseconds in an Int64: years 1678 to 2261. Joda reads 9-digit years;
    /// those must fail rather than wrap around.
    public static func representable(_ epochSecond: Int64) -> Bool {
        epochSecond > -9_223_372_035 && epochSecond < 9_223_372_035
    }

    // MARK: epoch forms

    /// Logstash rejects epoch seconds beyond 32 bits: such values are almost always milliseconds.
    static let maxEpochSeconds = Int64(Int32.max)

    /// `UNIX`: epoch seconds, optionally with a fraction (`1700000000`, `1700000000.123456`).
    /// Logstash keeps milliseconds; Sluice keeps up to nanoseconds.
    public static func parseUnix(_ s: String) -> Timestamp? {
        guard let (negative, whole, nanos) = parseDecimal(s), whole <= maxEpochSeconds else { return nil }
        let t = whole * 1_000_000_000 + Int64(nanos)
        return Timestamp(nanoseconds: negative ? -t : t)
    }

    public static func parseUnix(_ seconds: Int64) -> Timestamp? {
        seconds <= maxEpochSeconds ? Timestamp(seconds: seconds) : nil
    }

    /// Fractional seconds from a float field, rounded to the microsecond (a double holds no more
    /// for current dates; rounding keeps `.123` from printing as `.122999906`).
    public static func parseUnix(_ seconds: Double) -> Timestamp? {
        guard seconds.isFinite, seconds <= Double(maxEpochSeconds), seconds >= -Double(maxEpochSeconds) else { return nil }
        let whole = seconds.rounded(.down)
        let micros = ((seconds - whole) * 1_000_000).rounded()
        return Timestamp(nanoseconds: Int64(whole) * 1_000_000_000 + Int64(micros) * 1000)
    }

    /// `UNIX_MS`: epoch milliseconds (`1700000000123`; a fraction adds sub-millisecond digits).
    public static func parseUnixMillis(_ s: String) -> Timestamp? {
        guard let (negative, whole, nanos) = parseDecimal(s), whole < Int64.max / 1_000_000 else { return nil }
        let t = whole * 1_000_000 + Int64(nanos / 1000)
        return Timestamp(nanoseconds: negative ? -t : t)
    }

    public static func parseUnixMillis(_ ms: Int64) -> Timestamp? {
        ms.magnitude < UInt64(Int64.max / 1_000_000) ? Timestamp(milliseconds: ms) : nil
    }

    public static func parseUnixMillis(_ ms: Double) -> Timestamp? {
        guard ms.isFinite, abs(ms) < Double(Int64.max / 1_000_000) else { return nil }
        let whole = ms.rounded(.down)
        let nanos = ((ms - whole) * 1_000_000).rounded()
        return Timestamp(nanoseconds: Int64(whole) * 1_000_000 + Int64(nanos))
    }

    /// `[sign] digits [. digits]` → (negative, whole part, fraction as nanoseconds).
    private static func parseDecimal(_ s: String) -> (Bool, Int64, Int)? {
        withBytes(s) { b in
            var r = ByteReader(b)
            var negative = false
            if r.take(UInt8(ascii: "-")) { negative = true } else { _ = r.take(UInt8(ascii: "+")) }
            guard r.digitRun > 0, r.digitRun <= 18, let whole = r.digits(r.digitRun) else { return nil }
            var nanos = 0
            if r.take(UInt8(ascii: ".")), r.digitRun > 0 {
                guard let f = r.fraction() else { return nil }
                nanos = f
            }
            guard r.done else { return nil }
            return (negative, Int64(whole), nanos)
        }
    }

    // MARK: TAI64N

    /// `TAI64N`: `@4000000063f2b2a81b2e4cb4` — 16 hex digits of TAI seconds (offset by 2^62), then 8 of
    /// nanoseconds; the `@` is optional. Like Logstash, 10 seconds are subtracted for TAI-UTC and
    /// later leap seconds are ignored.
    public static func parseTAI64N(_ s: String) -> Timestamp? {
        var hex = Substring(s).utf8
        if hex.first == UInt8(ascii: "@") { hex = hex.dropFirst() }
        guard hex.count == 24 else { return nil }
        var secs: UInt64 = 0
        var nanos: UInt64 = 0
        for (k, c) in hex.enumerated() {
            guard let v = hexValue(c) else { return nil }
            if k < 16 { secs = secs << 4 | v } else { nanos = nanos << 4 | v }
        }
        guard nanos < 1_000_000_000 else { return nil }
        let unix = Int64(secs & ((1 << 62) - 1)) - 10
        guard representable(unix) else { return nil }  // would wrap around
        return Timestamp(seconds: unix, nanos: Int64(nanos))
    }

    private static func hexValue(_ c: UInt8) -> UInt64? {
        switch c {
        case 48...57: return UInt64(c - 48)
        case 97...102: return UInt64(c - 87)
        case 65...70: return UInt64(c - 55)
        default: return nil
        }
    }
}
