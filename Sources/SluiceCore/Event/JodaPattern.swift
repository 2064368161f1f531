/// A date pattern compiled once into tokens, shared by `JodaFormatter` and `JodaParser`.
///
/// Two dialects: Joda-Time's (`%{+YYYY.MM.dd}` in sprintf, the `date` filter's `match`) and
/// java.time's `DateTimeFormatter` (`%{{yyyy-MM-dd}}` in sprintf). They agree on most letters;
/// the differences are mapped here so everything downstream sees one token model.
struct DatePattern: Sendable, Equatable {
    enum Dialect: Sendable { case joda, javaTime }

    /// How a UTC offset is written.
    struct OffsetStyle: Sendable, Equatable {
        var colon: Bool
        /// Minutes only when non-zero (`X`, `x`).
        var optionalMinutes = false
        /// Seconds when non-zero (java.time `XXXX`, `XXXXX`).
        var seconds = false
        /// Text for a zero offset (`Z`), nil to print digits.
        var zero: String? = nil
        /// `GMT` prefix (java.time `ZZZZ`, `O`).
        var gmt = false
        /// Unpadded hour (java.time `O`: `GMT+8`).
        var shortHour = false
    }

    enum Field: Sendable, Equatable {
        case era, century
        case year             // proleptic year; `yy` is handled as a two-digit year
        case yearOfEra
        case weekyear         // ISO week-based year
        case weekOfWeekyear
        case dayOfWeekNumber  // 1 = Monday
        case dayOfWeekText
        case dayOfYear, month, day
        case halfday
        case hourOfHalfday, clockhourOfHalfday, hourOfDay, clockhourOfDay
        case minute, second
        case fraction         // fraction of second, truncated to the width
        case nanoOfSecond, milliOfDay, quarter
        case zoneName
        case zoneId
        case offset(OffsetStyle)
    }

    enum Token: Sendable, Equatable {
        case literal([UInt8])
        case field(Field, width: Int)
    }

    let tokens: [Token]
    /// Letters the dialect does not know; they were kept as literal text. Joda rejects them,
    /// so parsers report them while sprintf renders them as they are.
    let unknownLetters: [Character]

    init(_ pattern: String, dialect: Dialect = .joda) {
        var tokens: [Token] = []
        var unknown: [Character] = []
        let chars = Array(pattern)
        func literal(_ s: String) {
            guard !s.isEmpty else { return }
            if case .literal(let prev)? = tokens.last {
                tokens[tokens.count - 1] = .literal(prev + Array(s.utf8))
            } else {
                tokens.append(.literal(Array(s.utf8)))
            }
        }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "'" {
                // `''` is a quote; `'text'` is literal text, with `''` inside meaning a quote.
                if i + 1 < chars.count && chars[i + 1] == "'" { literal("'"); i += 2; continue }
                var j = i + 1
                var text = ""
                while j < chars.count {
                    if chars[j] == "'" {
                        if j + 1 < chars.count && chars[j + 1] == "'" { text.append("'"); j += 2; continue }
                        break
                    }
                    text.append(chars[j])
                    j += 1
                }
                literal(text)
                i = j + 1
            } else if c.isASCII && c.isLetter {
                var j = i
                while j < chars.count && chars[j] == c { j += 1 }
                let width = j - i
                if let f = DatePattern.field(c, width, dialect) {
                    tokens.append(.field(f, width: width))
                } else {
                    unknown.append(c)
                    literal(String(repeating: c, count: width))
                }
                i = j
            } else if dialect == .javaTime && (c == "[" || c == "]") {
                // Optional sections: when formatting, every field is available, so just print the content.
                i += 1
            } else {
                literal(String(c))
                i += 1
            }
        }
        self.tokens = tokens
        self.unknownLetters = unknown
    }

    private static func field(_ c: Character, _ width: Int, _ dialect: Dialect) -> Field? {
        switch (c, dialect) {
        case ("G", _): return .era
        case ("C", .joda): return .century
        case ("y", .joda), ("u", .javaTime): return .year
        case ("Y", .joda), ("y", .javaTime): return .yearOfEra
        // Joda's `x` and java.time's `Y` are the week-based year. java.time's depends on the
        // JVM locale (US weeks start on Sunday); we always use ISO weeks.
        case ("x", .joda), ("Y", .javaTime): return .weekyear
        case ("w", _): return .weekOfWeekyear
        case ("e", .joda): return .dayOfWeekNumber
        case ("e", .javaTime), ("c", .javaTime): return width <= 2 ? .dayOfWeekNumber : .dayOfWeekText
        case ("E", _): return .dayOfWeekText
        case ("D", _): return .dayOfYear
        case ("M", _), ("L", .javaTime): return .month
        case ("d", _): return .day
        case ("a", _): return .halfday
        case ("K", _): return .hourOfHalfday
        case ("h", _): return .clockhourOfHalfday
        case ("H", _): return .hourOfDay
        case ("k", _): return .clockhourOfDay
        case ("m", _): return .minute
        case ("s", _): return .second
        case ("S", _): return .fraction
        case ("n", .javaTime): return .nanoOfSecond
        case ("A", .javaTime): return .milliOfDay
        case ("Q", .javaTime), ("q", .javaTime): return .quarter
        case ("z", _), ("v", .javaTime): return .zoneName
        case ("V", .javaTime): return .zoneId
        case ("Z", .joda):
            // Joda: `Z` = +0000, `ZZ` = +00:00, `ZZZ` = zone id.
            if width == 1 { return .offset(OffsetStyle(colon: false)) }
            if width == 2 { return .offset(OffsetStyle(colon: true)) }
            return .zoneId
        // Not a Joda letter; accepted with java.time's meaning so `X` works in both dialects.
        case ("X", .joda): return offsetX(width, zeroAsZ: true)
        case ("X", .javaTime): return offsetX(width, zeroAsZ: true)
        case ("x", .javaTime): return offsetX(width, zeroAsZ: false)
        case ("Z", .javaTime):
            if width <= 3 { return .offset(OffsetStyle(colon: false)) }
            if width == 4 { return .offset(OffsetStyle(colon: true, seconds: true, zero: "GMT", gmt: true)) }
            return .offset(OffsetStyle(colon: true, seconds: true, zero: "Z"))
        case ("O", .javaTime):
            return .offset(OffsetStyle(colon: true, optionalMinutes: width == 1, zero: "GMT", gmt: true,
                                       shortHour: width == 1))
        default: return nil
        }
    }

    private static func offsetX(_ width: Int, zeroAsZ: Bool) -> Field {
        let zero = zeroAsZ ? "Z" : nil
        switch width {
        case 1: return .offset(OffsetStyle(colon: false, optionalMinutes: true, zero: zero))
        case 2: return .offset(OffsetStyle(colon: false, zero: zero))
        case 3: return .offset(OffsetStyle(colon: true, zero: zero))
        case 4: return .offset(OffsetStyle(colon: false, seconds: true, zero: zero))
        default: return .offset(OffsetStyle(colon: true, seconds: true, zero: zero))
        }
    }

    /// Whether the pattern names a year (else the date filter guesses it).
    var hasYear: Bool {
        tokens.contains {
            if case .field(let f, _) = $0 { return f == .year || f == .yearOfEra || f == .weekyear }
            return false
        }
    }

    /// Whether the pattern carries its own zone (offset or id), overriding the configured one.
    var hasZone: Bool {
        tokens.contains {
            if case .field(let f, _) = $0 {
                if case .offset = f { return true }
                return f == .zoneId || f == .zoneName
            }
            return false
        }
    }
}
