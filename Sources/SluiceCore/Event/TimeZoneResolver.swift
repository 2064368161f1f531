import Foundation
import Synchronization

/// A time zone for formatting and parsing dates: a fixed UTC offset or a named (tz database) zone.
///
/// Named zones resolve their offset through Foundation's `TimeZone` for the specific instant,
/// so daylight-saving time is right; the answers are cached per zone as intervals between
/// transitions, so the hot path is a lock and a comparison.
public struct DateZone: Sendable, Hashable, CustomStringConvertible {
    /// The id as Joda prints it for `ZZZ`: `UTC`, `Europe/Berlin`, `+02:00`.
    public let identifier: String
    private let fixedOffset: Int?
    private let rules: ZoneRules?

    public static let utc = DateZone(identifier: "UTC", fixedOffset: 0, rules: nil)

    private init(identifier: String, fixedOffset: Int?, rules: ZoneRules?) {
        self.identifier = identifier
        self.fixedOffset = fixedOffset
        self.rules = rules
    }

    /// A zone `seconds` east of UTC.
    public static func fixed(offsetSeconds seconds: Int) -> DateZone {
        if seconds == 0 { return .utc }
        var out: [UInt8] = []
        DateZone.appendOffset(seconds, colon: true, into: &out)
        return DateZone(identifier: String(decoding: out, as: UTF8.self), fixedOffset: seconds, rules: nil)
    }

    /// Resolves a zone the way Joda's `DateTimeZone.forID` and Logstash's `timezone` settings
    /// accept them: `UTC`, `Z`, `+02:00`, `-0800`, `+02`, or a tz database id (`Europe/Berlin`).
    public init?(_ spec: String) {
        if spec == "UTC" || spec == "Z" || spec == "Etc/UTC" || spec == "GMT" || spec == "UT" {
            self = .utc
            return
        }
        if let first = spec.utf8.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            guard let secs = DateZone.parseOffset(Array(spec.utf8)) else { return nil }
            self = .fixed(offsetSeconds: secs)
            return
        }
        guard let rules = ZoneRegistry.shared.rules(for: spec) else { return nil }
        self.init(identifier: spec, fixedOffset: nil, rules: rules)
    }

    /// The platform's default zone (Logstash's date filter falls back to it when no `timezone` is set).
    /// Resolved once: parsers consult it per event.
    public static let current: DateZone = DateZone(TimeZone.current.identifier) ?? .utc

    public var isFixed: Bool { fixedOffset != nil }

    /// Seconds east of UTC in effect at instant `t`.
    public func offset(at t: Timestamp) -> Int {
        if let fixedOffset { return fixedOffset }
        return rules?.offset(atEpochSecond: t.epochSeconds) ?? 0
    }

    /// The UTC epoch second for a local civil time (given as seconds since the epoch as if it were
    /// UTC). Nil when the local time falls into a gap (spring forward) — Joda rejects those too.
    /// In an overlap (fall back) the earlier instant wins, as in Joda.
    public func epochSecond(fromLocal local: Int64) -> Int64? {
        if let fixedOffset { return local - Int64(fixedOffset) }
        // Offsets a day either side bracket any single transition near `local`.
        let early = Int64(offset(atEpoch: local - 86_400))
        let late = Int64(offset(atEpoch: local + 86_400))
        var best: Int64? = nil
        for off in early == late ? [early] : [early, late] {
            let candidate = local - off
            if Int64(offset(atEpoch: candidate)) == off, best.map({ candidate < $0 }) ?? true { best = candidate }
        }
        return best
    }

    private func offset(atEpoch s: Int64) -> Int {
        if let fixedOffset { return fixedOffset }
        return rules?.offset(atEpochSecond: s) ?? 0
    }

    /// Short display name (`z`): `UTC`, an abbreviation for named zones, the offset for fixed ones.
    public func shortName(at t: Timestamp) -> String {
        if fixedOffset == 0 { return "UTC" }
        if let rules { return rules.zone.abbreviation(for: rules.date(t)) ?? identifier }
        return identifier
    }

    /// Long display name (`zzzz`), in English.
    public func longName(at t: Timestamp) -> String {
        if fixedOffset == 0 { return "Coordinated Universal Time" }
        guard let rules else { return identifier }
        let d = rules.date(t)
        let style: TimeZone.NameStyle = rules.zone.isDaylightSavingTime(for: d) ? .daylightSaving : .standard
        return rules.zone.localizedName(for: style, locale: Locale(identifier: "en_US")) ?? identifier
    }

    public var description: String { identifier }

    public static func == (a: DateZone, b: DateZone) -> Bool { a.identifier == b.identifier }
    public func hash(into h: inout Hasher) { h.combine(identifier) }

    // MARK: offsets as text

    /// Parses `+HH`, `+HHmm`, `+HH:mm`, `+HH:mm:ss` (and `-`) into seconds east of UTC.
    static func parseOffset(_ b: [UInt8]) -> Int? {
        guard b.count >= 3 else { return nil }
        let sign = b[0] == UInt8(ascii: "-") ? -1 : 1
        guard b[0] == UInt8(ascii: "-") || b[0] == UInt8(ascii: "+") else { return nil }
        var digits: [Int] = []
        var i = 1
        while i < b.count {
            let c = b[i]
            if c >= 48 && c <= 57 { digits.append(Int(c) - 48) } else if c != UInt8(ascii: ":") { return nil }
            i += 1
        }
        guard digits.count == 2 || digits.count == 4 || digits.count == 6 else { return nil }
        let h = digits[0] * 10 + digits[1]
        let m = digits.count >= 4 ? digits[2] * 10 + digits[3] : 0
        let s = digits.count == 6 ? digits[4] * 10 + digits[5] : 0
        guard h <= 23, m <= 59, s <= 59 else { return nil }
        return sign * (h * 3600 + m * 60 + s)
    }

    /// Appends `+HH:mm` / `+HHmm` (and `:ss` when non-zero).
    static func appendOffset(_ seconds: Int, colon: Bool, into out: inout [UInt8]) {
        out.append(seconds < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let a = abs(seconds)
        appendTwoDigits(a / 3600, &out)
        if colon { out.append(UInt8(ascii: ":")) }
        appendTwoDigits(a / 60 % 60, &out)
        if a % 60 != 0 {
            if colon { out.append(UInt8(ascii: ":")) }
            appendTwoDigits(a % 60, &out)
        }
    }
}

@inline(__always)
func appendTwoDigits(_ v: Int, _ out: inout [UInt8]) {
    out.append(UInt8(48 + v / 10 % 10))
    out.append(UInt8(48 + v % 10))
}

/// One named zone's rules plus a small cache of `[from, until) -> offset` intervals.
final class ZoneRules: Sendable {
    let zone: TimeZone
    private struct Interval { var from: Int64; var until: Int64; var offset: Int }
    private let cache = Mutex<(entries: [Interval], next: Int)>(([], 0))
    private static let slots = 4

    init(zone: TimeZone) { self.zone = zone }

    func date(_ t: Timestamp) -> Date { Date(timeIntervalSince1970: Double(t.epochSeconds)) }

    func offset(atEpochSecond s: Int64) -> Int {
        if let hit = cache.withLock({ c in c.entries.first { $0.from <= s && s < $0.until }?.offset }) {
            return hit
        }
        let d = Date(timeIntervalSince1970: Double(s))
        let off = zone.secondsFromGMT(for: d)
        let until = zone.nextDaylightSavingTimeTransition(after: d)
            .map { Int64($0.timeIntervalSince1970.rounded(.down)) } ?? Int64.max
        cache.withLock { c in
            // Same interval seen from an earlier instant: widen it instead of adding a slot.
            if let i = c.entries.firstIndex(where: { $0.until == until && $0.offset == off }) {
                c.entries[i].from = min(c.entries[i].from, s)
            } else if c.entries.count < ZoneRules.slots {
                c.entries.append(Interval(from: s, until: until, offset: off))
            } else {
                c.entries[c.next] = Interval(from: s, until: until, offset: off)
                c.next = (c.next + 1) % ZoneRules.slots
            }
        }
        return off
    }
}

/// Named zones are looked up once and shared.
final class ZoneRegistry: Sendable {
    static let shared = ZoneRegistry()
    private let zones = Mutex<[String: ZoneRules]>([:])

    func rules(for id: String) -> ZoneRules? {
        if let r = zones.withLock({ $0[id] }) { return r }
        // Foundation accepts odd spellings ("GMT+0100"); Joda ids are tz ids, so require a letter first.
        guard let first = id.unicodeScalars.first, first.properties.isAlphabetic,
              let tz = TimeZone(identifier: id) else { return nil }
        let r = ZoneRules(zone: tz)
        zones.withLock { $0[id] = r }
        return r
    }
}
