/// The type of a plugin setting, as Logstash's `config :name, :validate => ...` declares it.
public indirect enum SettingType: Sendable, Equatable, CustomStringConvertible {
    case string
    case number            // integer
    case float             // any number
    case boolean
    case array             // a single value is accepted and wrapped, as Logstash does
    case hash
    case password          // a string never shown in logs or errors
    case path
    case codec
    case fieldReference
    case template          // a sprintf template: %{[field]}, %{+YYYY.MM.dd}
    case oneOf([String])   // an enumeration; allowed values live here, not in code
    case duration          // "5s", "100ms", "2m" or a number of seconds
    case bytes             // "64mb", "1kb" or a number of bytes
    case any

    public var description: String {
        switch self {
        case .string: return "string"
        case .number: return "number"
        case .float: return "float"
        case .boolean: return "boolean"
        case .array: return "array"
        case .hash: return "hash"
        case .password: return "password"
        case .path: return "path"
        case .codec: return "codec"
        case .fieldReference: return "field reference"
        case .template: return "sprintf template"
        case .oneOf(let vs): return "one of " + vs.map { "`\($0)`" }.joined(separator: ", ")
        case .duration: return "duration"
        case .bytes: return "bytes"
        case .any: return "any"
        }
    }
}

/// One declared setting. The list of these drives validation, "did you mean",
/// `sluice plugins NAME` and the README's plugin tables.
public struct SettingSpec: Sendable {
    public var name: String
    public var type: SettingType
    public var defaultValue: Value?
    public var required: Bool
    public var deprecated: String?
    public var doc: String

    public init(_ name: String, _ type: SettingType, default defaultValue: Value? = nil,
                required: Bool = false, deprecated: String? = nil, doc: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.required = required
        self.deprecated = deprecated
        self.doc = doc
    }
}

/// Settings every plugin of a kind accepts (Logstash's common options).
public enum CommonSettings {
    static let all: [SettingSpec] = [
        SettingSpec("id", .string, doc: "Unique id of this plugin instance, used in logs and metrics."),
        SettingSpec("enable_metric", .boolean, default: true, doc: "Collect metrics for this plugin instance."),
    ]
    public static let input: [SettingSpec] = all + [
        SettingSpec("add_field", .hash, default: .object(FieldMap()), doc: "Fields added to every event (sprintf templates)."),
        SettingSpec("tags", .array, default: .array([]), doc: "Tags added to every event."),
        SettingSpec("type", .string, doc: "Value of the `type` field of every event (kept if already set)."),
        SettingSpec("codec", .codec, doc: "Codec that decodes the incoming data."),
    ]
    public static let filter: [SettingSpec] = all + [
        SettingSpec("add_field", .hash, default: .object(FieldMap()), doc: "Fields added when the filter succeeds (sprintf templates)."),
        SettingSpec("add_tag", .array, default: .array([]), doc: "Tags added when the filter succeeds."),
        SettingSpec("remove_field", .array, default: .array([]), doc: "Fields removed when the filter succeeds."),
        SettingSpec("remove_tag", .array, default: .array([]), doc: "Tags removed when the filter succeeds."),
        SettingSpec("periodic_flush", .boolean, default: false, doc: "Call the filter's flush method at regular intervals."),
    ]
    public static let output: [SettingSpec] = all + [
        SettingSpec("codec", .codec, doc: "Codec that encodes outgoing events."),
    ]
    public static let codec: [SettingSpec] = []
}
