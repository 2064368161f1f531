import SluiceCore

/// Logstash's `dissect` filter: splits text on literal delimiters, no regular expressions.
///
/// Each `mapping` entry dissects one field with a pattern of `%{}` fields (see
/// `DissectPattern`); `convert_datatype` then turns fields into integers or floats. A source
/// that is empty, or a pattern whose delimiters are not all found, tags the event with
/// `tag_on_failure` and stores nothing from that mapping; a missing source field is only
/// logged, as in Logstash. Conversions run when every mapping matched; failed ones add Logstash's
/// `_dataconversionnullvalue_<field>_<type>` / `_dataconversionuncoercible_<field>_<type>` tags.
///
/// Deviations: a mapping with no `%{field}` at all is rejected at start-up (Logstash accepts it
/// and fails every event); a source that starts with the first field's delimiter gives that
/// field an empty value, where Logstash fails the match (logstash-filter-dissect#72, open).
public final class DissectFilter: FilterPlugin {
    public static let pluginName = "dissect"
    public static let summary = "Extracts fields by splitting text on the literal delimiters of a pattern."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("mapping", .hash, default: .object(FieldMap()),
                    doc: "Field => pattern, e.g. `\"message\" => \"%{ts} %{+ts} %{level} %{msg}\"`; later entries may dissect fields set by earlier ones."),
        SettingSpec("convert_datatype", .hash, default: .object(FieldMap()),
                    doc: "Field => `int` or `float`, converted after all mappings ran."),
        SettingSpec("tag_on_failure", .array, default: ["_dissectfailure"],
                    doc: "Tags added when a source is empty or a pattern does not match."),
    ]

    private enum Conversion: String {
        case int, float
    }

    private let id: String
    private let logger: Logger
    private let mappings: [(text: String, source: FieldReference, pattern: DissectPattern)]
    private let conversions: [(text: String, field: FieldReference, to: Conversion)]
    private let tagOnFailure: [String]

    public init(settings: PluginSettings, context: PluginContext) throws {
        id = settings.id
        logger = context.logger
        tagOnFailure = settings.strings("tag_on_failure")
        var mappings: [(String, FieldReference, DissectPattern)] = []
        for entry in settings.hash("mapping") {
            let text = try ExtractSettings.text(entry.value, setting: "mapping", entry: entry.key, in: settings)
            if text.isEmpty { continue }  // Logstash ignores empty patterns
            let source = try ExtractSettings.field(entry.key, setting: "mapping", in: settings)
            do {
                mappings.append((entry.key, source, try DissectPattern(text)))
            } catch {
                throw settings.error("mapping", "pattern for `\(entry.key)` \(error.description)")
            }
        }
        self.mappings = mappings
        conversions = try settings.hash("convert_datatype").map { entry throws(ConfigError) in
            let type = try ExtractSettings.text(entry.value, setting: "convert_datatype", entry: entry.key, in: settings)
            guard let to = Conversion(rawValue: type.lowercased()) else {
                throw settings.error("convert_datatype", "unsupported type `\(type)` for `\(entry.key)`; expected `int` or `float`")
            }
            return (entry.key, try ExtractSettings.field(entry.key, setting: "convert_datatype", in: settings), to)
        }
    }

    public func filter(_ event: inout Event, _ context: inout FilterContext) -> FilterResult {
        var matched = true
        for (text, source, pattern) in mappings {
            guard let value = event[source] else {
                logger.warning("dissect \(id): mapping source `\(text)` not found in event")
                matched = false
                continue
            }
            let string: String
            switch value {
            case .string(let s): string = s
            case .null: string = ""
            case let other: string = other.renderedString
            }
            if string.isEmpty {
                logger.warning("dissect \(id): mapping source `\(text)` is empty")
            } else if pattern.apply(string, to: &event) {
                continue
            } else {
                logger.warning("dissect \(id): pattern for `\(text)` did not match, or a value could not be stored")
            }
            matched = false
            for tag in tagOnFailure { event.addTag(tag) }
        }
        guard matched else { return .unmatched }
        for (text, field, to) in conversions {
            convert(&event, text, field, to)
        }
        return .matched
    }

    private func convert(_ event: inout Event, _ text: String, _ field: FieldReference, _ to: Conversion) {
        guard let value = event[field], !value.isNull else {
            event.addTag("_dataconversionnullvalue_\(text)_\(to.rawValue)")
            return
        }
        let converted: Value?
        switch to {
        case .int: converted = Self.integer(value)
        case .float: converted = Self.double(value).map(Value.double)
        }
        guard let converted else {
            logger.warning("dissect \(id): `\(text)` value cannot be converted to \(to.rawValue)")
            event.addTag("_dataconversionuncoercible_\(text)_\(to.rawValue)")
            return
        }
        event.set(field, converted)
    }

    /// Whole numbers exactly, decimals truncated toward zero (Java's `longValue`).
    static func integer(_ v: Value) -> Value? {
        switch v {
        case .int: return v
        case .string(let s):
            let t = trimmed(s)
            if let i = Int64(t) { return .int(i) }
            return double(.string(t)).flatMap(truncate)
        case .double(let d): return truncate(d)
        case .number(let n): return n.isIntegral ? v : truncate(n.doubleValue)  // digits beyond Int64 stay whole
        default: return nil
        }
    }

    static func double(_ v: Value) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .number(let n): return n.doubleValue.isFinite ? n.doubleValue : nil
        case .string(let s):
            guard let d = Double(trimmed(s)), d.isFinite else { return nil }
            return d
        default: return nil
        }
    }

    private static func truncate(_ d: Double) -> Value? {
        guard d.isFinite, abs(d) < 9.2e18 else { return nil }
        return .int(Int64(d.rounded(.towardZero)))
    }

    /// Java's `String.trim`: drops leading and trailing characters up to U+0020.
    private static func trimmed(_ s: String) -> String {
        let u = s.utf8
        guard let first = u.firstIndex(where: { $0 > 0x20 }), let last = u.lastIndex(where: { $0 > 0x20 }) else { return "" }
        return String(decoding: u[first...last], as: UTF8.self)
    }
}
