#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in time with nanosecond precision, always UTC (as Logstash's `@timestamp`).
public struct Timestamp: Sendable, Hashable, Comparable {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public init(seconds: Int64, nanos: Int64 = 0) { nanoseconds = seconds &* 1_000_000_000 &+ nanos }
    public init(milliseconds: Int64) { nanoseconds = milliseconds &* 1_000_000 }

    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(seconds: Int64(ts.tv_sec), nanos: Int64(ts.tv_nsec))
    }

    public var epochSeconds: Int64 { floorDiv(nanoseconds, 1_000_000_000) }
    public var subsecondNanos: Int64 { nanoseconds - epochSeconds * 1_000_000_000 }
    public var epochMilliseconds: Int64 { floorDiv(nanoseconds, 1_000_000) }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.nanoseconds < b.nanoseconds }

    /// Broken-down civil time in a fixed UTC offset.
    public struct Components: Sendable, Equatable {
        public var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
        public var nanosecond: Int
        public var weekday: Int  // 1 = Monday ... 7 = Sunday (ISO)
        public var dayOfYear: Int
        public var offsetSeconds: Int
    }

    public func components(offsetSeconds: Int = 0) -> Components {
        let local = epochSeconds + Int64(offsetSeconds)
        let days = floorDiv(local, 86_400)
        let secs = Int(local - days * 86_400)
        let (y, m, d) = Timestamp.civil(fromDays: days)
        let wd = Int(((days % 7) + 7 + 3) % 7) + 1  // 1970-01-01 was a Thursday
        let doy = Int(days - Timestamp.days(fromCivil: y, 1, 1)) + 1
        return Components(year: y, month: m, day: d, hour: secs / 3600, minute: secs / 60 % 60,
                          second: secs % 60, nanosecond: Int(subsecondNanos), weekday: wd,
                          dayOfYear: doy, offsetSeconds: offsetSeconds)
    }

    /// Builds a timestamp from civil fields read in a zone `offsetSeconds` east of UTC.
    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0,
                nanosecond: Int = 0, offsetSeconds: Int = 0) {
        let days = Timestamp.days(fromCivil: year, month, day)
        let secs = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        self.init(seconds: secs, nanos: Int64(nanosecond))
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    public static func days(fromCivil y0: Int, _ m: Int, _ d: Int) -> Int64 {
        let y = Int64(m <= 2 ? y0 - 1 : y0)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((m + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civil(fromDays z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    /// `2026-11-20T23:58:44.123Z`: milliseconds always, more digits only when present.
    public var iso8601: String {
        var out: [UInt8] = []
        out.reserveCapacity(30)
        appendISO8601(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public func appendISO8601(to out: inout [UInt8]) { writeISO8601(to: &out) }

    /// Every event's `@timestamp` is written through here: fixed-width digits into a stack
    /// buffer (divisions by the constant 10 only), then one append.
    func writeISO8601<S: ByteSink & ~Copyable>(to out: inout S) {
        let seconds = epochSeconds
        let days = floorDiv(seconds, 86_400)
        let secs = Int(seconds - days * 86_400)
        let (year, month, day) = Timestamp.civil(fromDays: days)
        let ns = Int(subsecondNanos)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buf in
            var n = 0
            func digits(_ v: Int, _ width: Int) {
                var x = v
                var k = n + width - 1
                while k >= n { buf[k] = UInt8(truncatingIfNeeded: 48 + x % 10); x /= 10; k -= 1 }
                n += width
            }
            func char(_ c: UInt8) { buf[n] = c; n += 1 }
            if year < 0 { char(UInt8(ascii: "-")) }
            digits(abs(year) % 10000, 4); char(UInt8(ascii: "-")); digits(month, 2); char(UInt8(ascii: "-"))
            digits(day, 2); char(UInt8(ascii: "T")); digits(secs / 3600, 2); char(UInt8(ascii: ":"))
            digits(secs / 60 % 60, 2); char(UInt8(ascii: ":")); digits(secs % 60, 2); char(UInt8(ascii: "."))
            // Milliseconds, microseconds or nanoseconds: as many digits as the value needs.
            if ns % 1_000_000 == 0 { digits(ns / 1_000_000, 3) } else if ns % 1000 == 0 { digits(ns / 1000, 6) } else { digits(ns, 9) }
            char(UInt8(ascii: "Z"))
            out.append(bytes: UnsafeBufferPointer(rebasing: buf[..<n]))
        }
    }
}

@inline(__always)
func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
