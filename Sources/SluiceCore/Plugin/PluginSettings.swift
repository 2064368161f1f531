/// A plugin's settings after validation: every declared setting has its typed value
/// (or default), so accessors need no error handling.
public struct PluginSettings: Sendable {
    public let pluginName: String
    /// `id` if set, otherwise a generated one (`mutate_2`).
    public let id: String
    public let values: [String: Value]
    public let codec: (any Codec)?
    public let location: SourceLocation?
    let settingLocations: [String: SourceLocation]

    public init(pluginName: String, id: String, values: [String: Value], codec: (any Codec)? = nil,
                location: SourceLocation? = nil, settingLocations: [String: SourceLocation] = [:]) {
        self.pluginName = pluginName
        self.id = id
        self.values = values
        self.codec = codec
        self.location = location
        self.settingLocations = settingLocations
    }

    public func isSet(_ name: String) -> Bool { values[name] != nil && settingLocations[name] != nil }
    /// Whether the pipeline file wrote `name` (also for a codec, which has no value here).
    public func isWritten(_ name: String) -> Bool { settingLocations[name] != nil }
    public subscript(name: String) -> Value? { values[name] }

    public func string(_ name: String) -> String? {
        switch values[name] {
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        case .double(let d)?: return JSON.formatDouble(d)
        case .bool(let b)?: return b ? "true" : "false"
        default: return nil
        }
    }
    public func int(_ name: String) -> Int? {
        switch values[name] {
        case .int(let i)?: return Int(i)
        case .double(let d)?: return d.isFinite && abs(d) < 9.2e18 ? Int(d) : nil
        default: return nil
        }
    }
    public func double(_ name: String) -> Double? {
        switch values[name] {
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        default: return nil
        }
    }
    public func bool(_ name: String) -> Bool? {
        if case .bool(let b)? = values[name] { return b }
        return nil
    }
    public func array(_ name: String) -> [Value] { values[name]?.arrayValue ?? [] }
    public func strings(_ name: String) -> [String] { array(name).map(\.renderedString) }
    public func hash(_ name: String) -> FieldMap { values[name]?.objectValue ?? FieldMap() }

    // Settings whose spec declares a default (or that are required): validation filled them
    // in, so a plugin reads them with these and keeps no second default of its own. Empty
    // only when a plugin reads a setting its spec does not default: a config error, not a trap.
    public func declaredString(_ name: String) throws(ConfigError) -> String {
        guard let v = string(name) else { throw undeclared(name) }
        return v
    }
    public func declaredInt(_ name: String) throws(ConfigError) -> Int {
        guard let v = int(name) else { throw undeclared(name) }
        return v
    }
    public func declaredDouble(_ name: String) throws(ConfigError) -> Double {
        guard let v = double(name) else { throw undeclared(name) }
        return v
    }
    public func declaredBool(_ name: String) throws(ConfigError) -> Bool {
        guard let v = bool(name) else { throw undeclared(name) }
        return v
    }
    private func undeclared(_ name: String) -> ConfigError {
        error(name, "has no value: \(pluginName) reads it as defaulted, but its setting spec declares no default")
    }

    /// A field-reference setting, parsed. Validation already rejected malformed ones.
    public func fieldReference(_ name: String) -> FieldReference? {
        string(name).flatMap { try? FieldReference(parsing: $0) }
    }
    /// A sprintf-template setting, compiled.
    public func template(_ name: String) -> Template? { string(name).map { Template($0) } }
    /// A duration setting, in seconds.
    public func seconds(_ name: String) -> Double? { double(name) }

    public func location(of setting: String) -> SourceLocation? { settingLocations[setting] ?? location }

    /// A config error pointing at `setting` (or the plugin when it was not set explicitly).
    public func error(_ setting: String, _ message: String) -> ConfigError {
        ConfigError(location: location(of: setting), message: "\(pluginName): `\(setting)`: \(message)")
    }
}
