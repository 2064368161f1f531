import SluiceCore

/// Logstash's `json` filter: parses JSON text from a field into the event root or a target.
public final class JSONFilter: FilterPlugin {
    public static let pluginName = "json"
    public static let summary = "Parses JSON text from a field into the event."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("source", .fieldReference, required: true, doc: "Field holding the JSON text."),
        SettingSpec("target", .fieldReference,
                    doc: "Field that receives the parsed value (overwritten); without it, a JSON object's keys go to the event root."),
        SettingSpec("skip_on_invalid_json", .boolean, default: false,
                    doc: "Leave events whose source is not valid JSON untouched: no tag, no warning."),
        SettingSpec("tag_on_failure", .array, default: ["_jsonparsefailure"],
                    doc: "Tags added when the source cannot be parsed or placed."),
    ]

    private static let timestampFailureTag = "_timestampparsefailure"
    private static let timestampFailureField = "_@timestamp"

    private let id: String
    private let logger: Logger
    private let source: FieldReference
    private let target: FieldReference?
    private let skipOnInvalid: Bool
    private let tagOnFailure: [String]

    public init(settings: PluginSettings, context: PluginContext) throws {
        id = settings.id
        logger = context.logger
        guard let sourceText = settings.string("source") else {
            throw settings.error("source", "is required: the field that holds the JSON text")
        }
        source = try settings.parsedField(sourceText, setting: "source")
        target = try settings.string("target").map { t throws(ConfigError) in try settings.parsedField(t, setting: "target") }
        skipOnInvalid = try settings.declaredBool("skip_on_invalid_json")
        tagOnFailure = settings.strings("tag_on_failure")
    }

    public func filter(_ event: inout Event, _ context: inout FilterContext) -> FilterResult {
        let parsed: Value
        var repaired = false  // an unpaired surrogate escape (`\ud800`) became U+FFFD
        defer { if repaired { event.addTag(JSON.utf8ReplacedTag) } }
        switch event[source] {
        case nil, .null?, .bool(false)?:
            // Ruby's `return unless source`: nothing to parse, nothing to report.
            return .unmatched
        case .string(let text)?:
            do {
                parsed = try JSON.decode(text, repairedUTF8: &repaired)
            } catch {
                repaired = false  // the failure tag says it
                return invalid(&event, "\(error)")
            }
        case let other?:
            return invalid(&event, "expected JSON text, found a \(other.typeName)")
        }

        if let target {
            guard event.set(target, parsed) else {
                return fail(&event, "cannot set `\(target)`: a parent of it is not a hash")
            }
            return .matched
        }
        guard case .object(var object) = parsed else {
            return fail(&event, "parsed JSON is a \(parsed.typeName), not an object; set `target` to keep it")
        }
        let timestamp = object.removeValue(forKey: Event.timestampKey)
        let keys = object.keys, values = object.values
        for i in keys.indices {
            // Keys are field names; bracketed keys are references, as `event.set` reads them.
            let key = keys[i]
            if key.utf8.contains(UInt8(ascii: "[")), let ref = try? FieldReference(parsing: key) {
                if !event.set(ref, values[i]) { event.fields.set(key, values[i]) }
            } else {
                event.fields.set(key, values[i])
            }
        }
        if let timestamp { setTimestamp(timestamp, on: &event) }
        return .matched
    }

    /// A parsed `@timestamp` becomes the event's; an unreadable one is kept in `_@timestamp`
    /// and the event stamped now, as Logstash does.
    private func setTimestamp(_ value: Value, on event: inout Event) {
        switch value {
        case .timestamp(let t):
            event.timestamp = t
            return
        case .string(let s):
            if let t = DateParsing.parseISO8601(s) {
                event.timestamp = t
                return
            }
        default:
            break
        }
        logger.warning("json \(id): unrecognized @timestamp value; using the current time, original in `_@timestamp`")
        event.timestamp = .now()
        event.addTag(Self.timestampFailureTag)
        event.fields.set(Self.timestampFailureField, .string(value.renderedString))
    }

    private func invalid(_ event: inout Event, _ why: String) -> FilterResult {
        if skipOnInvalid { return .unmatched }
        return fail(&event, "source `\(source)` is not valid JSON: \(why)")
    }

    private func fail(_ event: inout Event, _ why: String) -> FilterResult {
        logger.warning("json \(id): \(why)")
        for tag in tagOnFailure { event.addTag(tag) }
        return .unmatched
    }
}
