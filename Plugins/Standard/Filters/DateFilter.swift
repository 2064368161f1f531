import SluiceCore

/// Logstash's `date` filter: parses a date from a field into `@timestamp` (or `target`).
///
/// `match` is the field name followed by formats tried in order, the first success winning:
/// Joda patterns, `ISO8601`, `UNIX` (epoch seconds), `UNIX_MS` and `TAI64N`.
public final class DateFilter: FilterPlugin {
    public static let pluginName = "date"
    public static let summary = "Parses dates from fields into @timestamp or another field."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("match", .array, required: true,
                    doc: "The field, then one or more formats tried in order: Joda patterns, `ISO8601`, `UNIX`, `UNIX_MS`, `TAI64N`."),
        SettingSpec("target", .fieldReference, default: "@timestamp", doc: "Field that receives the parsed timestamp."),
        SettingSpec("timezone", .string,
                    doc: "Zone for dates without one (`Europe/Paris`, `+02:00`); may be a sprintf template. Default: the platform's."),
        SettingSpec("locale", .string,
                    doc: "Locale of month and day names (`en`, `en-US`); only English names are supported."),
        SettingSpec("tag_on_failure", .array, default: ["_dateparsefailure"],
                    doc: "Tags added when no format matches."),
    ]

    private enum Format {
        case joda(JodaParser)
        case iso8601
        case unix
        case unixMillis
        case tai64n
    }

    private enum Zone {
        case fixed(DateZone)
        case templated(Template)
    }

    /// The zone one event's dates are read in; `unknown` when a sprintf `timezone` named none.
    private enum EventZone {
        case zone(DateZone)
        case unknown
    }

    private let source: FieldReference
    private let target: FieldReference
    private let targetIsTimestamp: Bool
    private let formats: [Format]
    private let zone: Zone
    private let tagOnFailure: [String]
    /// Zones named by a sprintf `timezone`, by rendered text (nil: not a zone).
    private var zoneCache: [String: DateZone?] = [:]
    private static let zoneCacheLimit = 256

    public init(settings: PluginSettings, context: PluginContext) throws {
        let match = settings.array("match")
        guard match.count >= 2 else {
            throw settings.error("match", "expects the field name followed by at least one date format, "
                                     + "e.g. `[\"logdate\", \"ISO8601\"]`; got \(match.count) value(s)")
        }
        let texts = try match.map { v throws(ConfigError) in try settings.scalarText(v, setting: "match", entry: "match") }
        source = try settings.parsedField(texts[0], setting: "match")
        let targetText = try settings.declaredString("target")
        target = try settings.parsedField(targetText, setting: "target")
        targetIsTimestamp = target.path == [Event.timestampKey]
        tagOnFailure = settings.strings("tag_on_failure")

        if let tz = settings.string("timezone"), !tz.isEmpty {
            if tz.contains("%{") {
                zone = .templated(Template(tz))
            } else {
                guard let z = DateZone(tz) else {
                    throw settings.error("timezone", "unknown time zone `\(tz)`; use a tz database id like `Europe/Paris` or an offset like `+02:00`")
                }
                zone = .fixed(z)
            }
        } else {
            // Logstash reads zone-less dates in the platform zone; resolved once, not per event.
            zone = .fixed(DateZone.current)
        }

        let englishOnly = try Self.checkLocale(settings)
        var formats: [Format] = []
        for text in texts.dropFirst() {
            switch text {
            case "ISO8601": formats.append(.iso8601)
            case "UNIX": formats.append(.unix)
            case "UNIX_MS": formats.append(.unixMillis)
            case "TAI64N": formats.append(.tai64n)
            default:
                if englishOnly, Self.usesNames(text) {
                    throw settings.error("locale", "only English month and day names can be parsed; "
                                             + "pattern `\(text)` needs them")
                }
                do {
                    formats.append(.joda(try JodaParser(text)))
                } catch {
                    throw settings.error("match", error.description)
                }
            }
        }
        self.formats = formats
    }

    public func filter(_ event: inout Event, _ context: inout FilterContext) -> FilterResult {
        var input: Value
        switch event[source] {
        case nil, .null?:
            return .unmatched
        case .array(let a)?:
            // Logstash's date filter reads the first value of an array field.
            guard let first = a.first, !first.isNull else { return .unmatched }
            input = first
        case let v?:
            input = v
        }
        if case .timestamp = input { input = .string(input.renderedString) }

        let zone = resolvedZone(event)
        for format in formats {
            guard let t = parse(input, format, zone) else { continue }
            if targetIsTimestamp {
                event.timestamp = t
            } else if !event.set(target, .timestamp(t)) {
                break
            }
            return .matched
        }
        for tag in tagOnFailure { event.addTag(tag) }
        return .unmatched
    }

    private func resolvedZone(_ event: Event) -> EventZone {
        switch zone {
        case .fixed(let z): return .zone(z)
        case .templated(let template):
            let text = template.render(event)
            let z: DateZone?
            if let cached = zoneCache[text] {
                z = cached
            } else {
                z = DateZone(text)
                if zoneCache.count >= Self.zoneCacheLimit { zoneCache.removeAll(keepingCapacity: true) }
                zoneCache[text] = .some(z)
            }
            return z.map(EventZone.zone) ?? .unknown
        }
    }

    private func parse(_ input: Value, _ format: Format, _ zone: EventZone) -> Timestamp? {
        switch format {
        case .joda(let parser):
            // A sprintf zone that names no zone fails the text formats, as Joda's forID would.
            guard case .string(let s) = input, case .zone(let z) = zone else { return nil }
            return try? parser.parse(s, timezone: z)
        case .iso8601:
            guard case .string(let s) = input, case .zone(let z) = zone else { return nil }
            return DateParsing.parseISO8601(s, defaultZone: z)
        default:
            return parseEpoch(input, format)
        }
    }

    private func parseEpoch(_ input: Value, _ format: Format) -> Timestamp? {
        switch (format, input) {
        case (.unix, .string(let s)): return DateParsing.parseUnix(s)
        case (.unix, .int(let i)): return DateParsing.parseUnix(i)
        case (.unix, .double(let d)): return DateParsing.parseUnix(d)
        case (.unixMillis, .string(let s)): return DateParsing.parseUnixMillis(s)
        case (.unixMillis, .int(let i)): return DateParsing.parseUnixMillis(i)
        case (.unixMillis, .double(let d)): return DateParsing.parseUnixMillis(d)
        case (.tai64n, .string(let s)): return DateParsing.parseTAI64N(s)
        default: return nil
        }
    }

    /// Returns true when a non-English `locale` is set (so name-based patterns cannot work).
    private static func checkLocale(_ settings: PluginSettings) throws(ConfigError) -> Bool {
        guard let locale = settings.string("locale"), !locale.isEmpty else { return false }
        // BCP 47 (`en-US`) or POSIX (`en_US`), as Logstash accepts both.
        let language = locale.split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map { $0.lowercased() } ?? ""
        guard language.count >= 2, language.count <= 8, language.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw settings.error("locale", "`\(locale)` is not a locale tag like `en` or `en-US`")
        }
        return language != "en"
    }

    /// Whether a Joda pattern has text fields (month or day names, AM/PM, era) outside quotes.
    private static func usesNames(_ pattern: String) -> Bool {
        var quoted = false
        var monthRun = 0
        for c in pattern {
            if c == "'" { quoted.toggle(); monthRun = 0; continue }
            if quoted { continue }
            if c == "M" { monthRun += 1; if monthRun >= 3 { return true }; continue }
            monthRun = 0
            if c == "E" || c == "a" || c == "G" { return true }
        }
        return false
    }
}
