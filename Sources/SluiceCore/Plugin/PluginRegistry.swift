/// The plugin kinds of a pipeline file.
public enum PluginKind: String, Sendable, CaseIterable {
    case input, filter, output, codec

    public var commonSettings: [SettingSpec] {
        switch self {
        case .input: return CommonSettings.input
        case .filter: return CommonSettings.filter
        case .output: return CommonSettings.output
        case .codec: return CommonSettings.codec
        }
    }
}

/// Every plugin type the host knows, by kind and name. The CLI registers the built-in
/// families; a custom plugin package registers its own types the same way.
public struct PluginRegistry {
    public private(set) var inputs: [String: any InputPlugin.Type] = [:]
    public private(set) var filters: [String: any FilterPlugin.Type] = [:]
    public private(set) var outputs: [String: any OutputPlugin.Type] = [:]
    public private(set) var codecs: [String: any Codec.Type] = [:]

    /// A registry holding the core codecs.
    public init() {
        for c in BuiltinCodecs.all { register(c) }
    }

    public mutating func register(_ t: any InputPlugin.Type) { inputs[t.pluginName] = t }
    public mutating func register(_ t: any FilterPlugin.Type) { filters[t.pluginName] = t }
    public mutating func register(_ t: any OutputPlugin.Type) { outputs[t.pluginName] = t }
    public mutating func register(_ t: any Codec.Type) { codecs[t.pluginName] = t }

    public func names(_ kind: PluginKind) -> [String] {
        switch kind {
        case .input: return inputs.keys.sorted()
        case .filter: return filters.keys.sorted()
        case .output: return outputs.keys.sorted()
        case .codec: return codecs.keys.sorted()
        }
    }

    /// The description of a plugin type (settings, summary) by kind and name.
    public func describe(_ kind: PluginKind, _ name: String) -> (any PluginDescribing.Type)? {
        switch kind {
        case .input: return inputs[name]
        case .filter: return filters[name]
        case .output: return outputs[name]
        case .codec: return codecs[name]
        }
    }

    /// The full settings list of a plugin: its own plus its kind's common ones
    /// (a plugin's own declaration of a common setting wins, e.g. its codec default).
    public func settingSpecs(_ kind: PluginKind, _ name: String) -> [SettingSpec]? {
        guard let t = describe(kind, name) else { return nil }
        let own = t.settingSpecs
        let ownNames = Set(own.map(\.name))
        return own + kind.commonSettings.filter { !ownNames.contains($0.name) }
    }
}
