import SluiceCore

/// Settings helpers shared by dissect, kv, csv and fingerprint. A namespace rather than
/// `PluginSettings` extensions, so the names cannot clash with other helpers in this module.
enum ExtractSettings {
    /// A field reference named in a setting, parsed now so `sluice check` reports bad ones.
    static func field(_ text: String, setting: String, in settings: PluginSettings) throws(ConfigError) -> FieldReference {
        do { return try FieldReference(parsing: text) } catch { throw settings.error(setting, error.description) }
    }

    /// The text of one entry of a hash setting: scalars as Logstash stringifies them.
    static func text(_ v: Value, setting: String, entry: String, in settings: PluginSettings) throws(ConfigError) -> String {
        switch v {
        case .string(let s): return s
        case .int, .double, .bool: return v.renderedString
        default: throw settings.error(setting, "the value for `\(entry)` must be a string, got \(v.typeName)")
        }
    }

    /// An optional string setting that must not be empty when given.
    static func nonEmpty(_ name: String, in settings: PluginSettings) throws(ConfigError) -> String? {
        guard let s = settings.string(name) else { return nil }
        guard !s.isEmpty else { throw settings.error(name, "must not be empty") }
        return s
    }

    /// True when `ecs_compatibility` asks for ECS field names.
    static func ecsEnabled(_ settings: PluginSettings) throws(ConfigError) -> Bool {
        try settings.declaredString("ecs_compatibility") != "disabled"
    }
}
