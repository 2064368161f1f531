import SluiceCore

/// The csv filter's `convert` types, following the Ruby the Logstash plugin runs: Ruby CSV's
/// `integer`/`float` converters (`Integer()`/`Float()`, the text is kept when they refuse it),
/// its `date`/`date_time` converters (a matcher, then `Date.parse`; the plugin stores the
/// result as a timestamp) and the plugin's own `boolean`.
///
/// Deviations: `date` gives midnight UTC where Logstash uses midnight in the host's time zone;
/// integers beyond 64 bits stay text; an empty column converted to boolean stays empty (Logstash
/// raises and tags the event `_csvparsefailure`); of the free-form dates Ruby's parser reads,
/// only the forms its matchers admit with an English month name are read.
enum CSVConversion: String, CaseIterable {
    case integer, float, date, date_time, boolean

    func apply(_ text: String?) -> Value {
        guard let text else { return .null }
        switch self {
        case .integer: return Self.rubyInteger(text).map(Value.int) ?? .string(text)
        case .float: return Self.rubyFloat(text).map(Value.double) ?? .string(text)
        case .date: return CSVDates.date(text).map(Value.timestamp) ?? .string(text)
        case .date_time: return CSVDates.dateTime(text).map(Value.timestamp) ?? .string(text)
        case .boolean:
            let v = Self.rubyStrip(text).lowercased()
            if v == "true" { return .bool(true) }
            if v == "false" { return .bool(false) }
            return .string(v)
        }
    }

    /// Ruby's `String#strip`: ASCII whitespace and NUL.
    static func rubyStrip(_ s: String) -> String {
        let u = s.utf8
        func space(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0D) || c == 0 }
        guard let first = u.firstIndex(where: { !space($0) }), let last = u.lastIndex(where: { !space($0) }) else { return "" }
        return String(decoding: u[first...last], as: UTF8.self)
    }

    /// Ruby's `Integer(text)`: optional sign, `0x`/`0b`/`0o`/`0` prefixes, `_` between digits,
    /// surrounding whitespace.
    static func rubyInteger(_ text: String) -> Int64? {
        var b = Array(rubyStrip(text).utf8)[...]
        guard !b.isEmpty, !b.contains(0) else { return nil }
        var negative = false
        if b.first == UInt8(ascii: "-") || b.first == UInt8(ascii: "+") {
            negative = b.first == UInt8(ascii: "-")
            b = b.dropFirst()
        }
        var radix = 10
        if b.count >= 2 && b.first == UInt8(ascii: "0") {
            switch b[b.startIndex + 1] | 0x20 {
            case UInt8(ascii: "x"): radix = 16; b = b.dropFirst(2)
            case UInt8(ascii: "b"): radix = 2; b = b.dropFirst(2)
            case UInt8(ascii: "o"): radix = 8; b = b.dropFirst(2)
            case UInt8(ascii: "d"): radix = 10; b = b.dropFirst(2)
            default: radix = 8; b = b.dropFirst()
            }
        }
        guard let digits = undersc(b) else { return nil }
        guard let magnitude = UInt64(String(decoding: digits, as: UTF8.self), radix: radix) else { return nil }
        if negative {
            return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// Ruby's `Float(text)`: decimal with optional fraction and exponent (`_` between digits),
    /// or hexadecimal; surrounding whitespace allowed; Infinity and NaN refused.
    static func rubyFloat(_ text: String) -> Double? {
        let t = Array(rubyStrip(text).utf8)
        guard !t.isEmpty else { return nil }
        var i = 0
        if t[i] == UInt8(ascii: "-") || t[i] == UInt8(ascii: "+") { i += 1 }
        if i + 1 < t.count && t[i] == UInt8(ascii: "0") && t[i + 1] | 0x20 == UInt8(ascii: "x") {
            guard let d = Double(String(decoding: t, as: UTF8.self)), d.isFinite else { return nil }
            return d
        }
        func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        // Digits with single underscores between them.
        func digits(_ i: inout Int) -> Bool {
            guard i < t.count, isDigit(t[i]) else { return false }
            while i < t.count {
                if isDigit(t[i]) { i += 1 } else if t[i] == UInt8(ascii: "_"), i + 1 < t.count, isDigit(t[i + 1]) { i += 1 } else { break }
            }
            return true
        }
        let hasInteger = digits(&i)
        if i < t.count && t[i] == UInt8(ascii: ".") {
            i += 1
            guard digits(&i) else { return nil }
        } else if !hasInteger {
            return nil
        }
        if i < t.count && t[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < t.count && (t[i] == UInt8(ascii: "-") || t[i] == UInt8(ascii: "+")) { i += 1 }
            guard digits(&i) else { return nil }
        }
        guard i == t.count else { return nil }
        let plain = String(decoding: t.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        guard let d = Double(plain), d.isFinite else { return nil }
        return d
    }

    /// Digits with single underscores between them, underscores removed.
    private static func undersc(_ b: ArraySlice<UInt8>) -> [UInt8]? {
        guard let first = b.first, let last = b.last, first != UInt8(ascii: "_"), last != UInt8(ascii: "_") else { return nil }
        var out: [UInt8] = []
        var previousUnderscore = false
        for c in b {
            if c == UInt8(ascii: "_") {
                if previousUnderscore { return nil }
                previousUnderscore = true
            } else {
                out.append(c)
                previousUnderscore = false
            }
        }
        return out
    }
}

/// Ruby CSV's date matchers and the parts of `Date.parse`/`DateTime.parse` they admit.
enum CSVDates {
    /// `\d{4}-\d{2}-\d{2}` or `[Weekday,] Month D[,] YYYY`, at midnight UTC.
    static func date(_ s: String) -> Timestamp? {
        let b = Array(s.utf8)
        if b.count == 10, let t = isoDate(b[...]) { return t.timestamp }
        return words(s, withTime: false)
    }

    /// ISO-8601 (`T` or a space before the time, `Z` or `+hh:mm` after seconds), or
    /// `[Weekday] Month D hh:mm:ss[,] YYYY`; without a zone, UTC.
    static func dateTime(_ s: String) -> Timestamp? {
        let b = Array(s.utf8)
        if b.count >= 10, var t = isoDate(b[..<10]) {
            var i = 10
            if i == b.count { return t.timestamp }
            guard b[i] == UInt8(ascii: "T") || isSpace(b[i]), let h = number(b, i + 1, 2),
                  b.count > i + 3, b[i + 3] == UInt8(ascii: ":"), let m = number(b, i + 4, 2) else { return nil }
            t.hour = h; t.minute = m
            i += 6
            if i < b.count {
                guard b[i] == UInt8(ascii: ":"), let sec = number(b, i + 1, 2) else { return nil }
                t.second = sec
                i += 3
                if i < b.count && b[i] == UInt8(ascii: ".") {
                    var j = i + 1
                    var nanos = 0, scale = 100_000_000
                    while j < b.count, b[j] >= 48, b[j] <= 57 {
                        nanos += Int(b[j] - 48) * scale
                        scale /= 10
                        j += 1
                    }
                    guard j > i + 1 else { return nil }
                    t.nanos = nanos
                    i = j
                }
                if i < b.count {
                    if b[i] == UInt8(ascii: "Z") {
                        i += 1
                    } else {
                        // `[+-]\d{2}:\d{2}` (the minutes are not optional in Ruby's matcher)
                        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), let oh = number(b, i + 1, 2),
                              b.count > i + 3, b[i + 3] == UInt8(ascii: ":"), let om = number(b, i + 4, 2),
                              oh < 24, om < 60 else { return nil }
                        t.offset = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
                        i += 6
                    }
                }
            }
            guard i == b.count else { return nil }
            return t.timestamp
        }
        return words(s, withTime: true)
    }

    private struct Parts {
        var year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, nanos = 0, offset = 0

        var timestamp: Timestamp? {
            guard (1...12).contains(month), day >= 1, day <= CSVDates.daysIn(month, year),
                  hour <= 23, minute <= 59, second <= 59 else { return nil }
            // Years a timestamp cannot hold (before 1678, after 2261) fail instead of wrapping.
            let seconds = Timestamp.days(fromCivil: year, month, day) * 86_400
                + Int64(hour * 3600 + minute * 60 + second - offset)
            guard DateParsing.representable(seconds) else { return nil }
            return Timestamp(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                             nanosecond: nanos, offsetSeconds: offset)
        }
    }

    private static func isoDate(_ b: ArraySlice<UInt8>) -> Parts? {
        let s = b.startIndex
        guard b.count == 10, b[s + 4] == UInt8(ascii: "-"), b[s + 7] == UInt8(ascii: "-"),
              let y = number(Array(b), 0, 4), let m = number(Array(b), 5, 2), let d = number(Array(b), 8, 2) else { return nil }
        var p = Parts()
        p.year = y; p.month = m; p.day = d
        return p
    }

    /// `(\w+,?\s+)?\w+\s+\d{1,2}[,]\s+\d{2,4}` (date) or `... \d{1,2}\s+h:m:s,?\s+\d{2,4}` (date_time),
    /// read with an English month name; two-digit years are 19xx from 69, else 20xx.
    private static func words(_ s: String, withTime: Bool) -> Timestamp? {
        var tokens = s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).map(String.init)
        guard tokens.count == (withTime ? 4 : 3) || tokens.count == (withTime ? 5 : 4) else { return nil }
        if tokens.count == (withTime ? 5 : 4) {
            let weekday = tokens.removeFirst()
            guard isWord(weekday.hasSuffix(",") ? String(weekday.dropLast()) : weekday) else { return nil }
        }
        guard isWord(tokens[0]), let month = monthNumber(tokens[0]) else { return nil }
        var dayText = tokens[1]
        if !withTime, dayText.hasSuffix(",") { dayText.removeLast() }
        guard (1...2).contains(dayText.count), let day = Int(dayText) else { return nil }
        var p = Parts()
        p.month = month; p.day = day
        let yearText = tokens.last ?? ""
        if withTime {
            var time = tokens[2]
            if time.hasSuffix(",") { time.removeLast() }
            let hms = time.split(separator: ":", omittingEmptySubsequences: false)
            guard hms.count == 3, hms.allSatisfy({ (1...2).contains($0.count) }),
                  let h = Int(hms[0]), let m = Int(hms[1]), let sec = Int(hms[2]) else { return nil }
            p.hour = h; p.minute = m; p.second = sec
        } else if yearText.hasSuffix(",") {
            return nil
        }
        guard (2...4).contains(yearText.utf8.count), yearText.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              var year = Int(yearText) else { return nil }
        if yearText.utf8.count == 2 { year += year >= 69 ? 1900 : 2000 }
        p.year = year
        return p.timestamp
    }

    private static func isWord(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_" }
    }

    /// Ruby's `Date._parse` reads any word starting with a month's three-letter abbreviation.
    private static func monthNumber(_ word: String) -> Int? {
        let names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let w = word.lowercased()
        return names.firstIndex(where: { w.hasPrefix($0) }).map { $0 + 1 }
    }

    private static func number(_ b: [UInt8], _ at: Int, _ width: Int) -> Int? {
        guard at >= 0, at + width <= b.count else { return nil }
        var v = 0
        for c in b[at..<(at + width)] {
            guard c >= 48 && c <= 57 else { return nil }
            v = v * 10 + Int(c - 48)
        }
        return v
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0D) }

    static func daysIn(_ month: Int, _ year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
