/// Checks a plugin's settings in a pipeline file against its declared specs and turns
/// them into typed values. Runs before anything starts (`sluice check`), never touches
/// the network.
struct SettingsValidator {
    let registry: PluginRegistry
    let context: PluginContext
    var idCounter: [String: Int] = [:]
    var errors: [ConfigError] = []
    /// Values of the `.password` settings seen so far, kept out of every message.
    var secrets: [String] = []

    init(registry: PluginRegistry, context: PluginContext) {
        self.registry = registry
        self.context = context
    }

    /// Validates `node` as a plugin of `kind`; records errors and returns nil on failure.
    mutating func settings(for node: PluginNode, kind: PluginKind) -> PluginSettings? {
        guard let specs = registry.settingSpecs(kind, node.name) else {
            var msg = "unknown \(kind.rawValue) plugin `\(node.name)`"
            if let s = Suggest.closest(to: node.name, in: registry.names(kind)) { msg += "; did you mean `\(s)`?" }
            else { msg += "; known \(kind.rawValue)s: " + registry.names(kind).joined(separator: ", ") }
            errors.append(ConfigError(location: node.location, message: msg))
            return nil
        }
        let byName = Dictionary(specs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var values: [String: Value] = [:]
        var locations: [String: SourceLocation] = [:]
        var codec: (any Codec)? = nil
        let before = errors.count
        for setting in node.settings {
            guard let spec = byName[setting.name] else {
                var msg = "\(node.name): unknown setting `\(setting.name)`"
                if let s = Suggest.closest(to: setting.name, in: specs.map(\.name)) { msg += "; did you mean `\(s)`?" }
                errors.append(ConfigError(location: setting.location, message: msg))
                continue
            }
            if let why = spec.deprecated {
                context.logger.warning("\(setting.location): \(node.name): setting `\(spec.name)` is deprecated: \(why)")
            }
            locations[setting.name] = setting.location
            if spec.type == .codec {
                codec = makeCodec(setting.value, at: setting.valueLocation, owner: node.name)
                continue
            }
            if spec.type == .password {
                setting.valueLocation.file.maskSecretValue(at: setting.valueLocation.offset)
            }
            do {
                let value = try convert(setting.value, to: spec.type)
                values[spec.name] = value
                if spec.type == .password, case .string(let secret) = value {
                    secrets.append(secret)
                    Secrets.remember(secret)
                }
            } catch {
                errors.append(ConfigError(location: setting.valueLocation,
                                          message: "\(node.name): `\(setting.name)` \(error.message)"))
            }
        }
        for spec in specs where values[spec.name] == nil {
            if spec.required && locations[spec.name] == nil {
                errors.append(ConfigError(location: node.location,
                                          message: "\(node.name): missing required setting `\(spec.name)` (\(spec.type))"))
            } else if spec.name == "ecs_compatibility", locations[spec.name] == nil, let ecs = context.pipeline.ecsCompatibility {
                // `pipeline.ecs_compatibility` is the default of this setting, as in Logstash.
                do { values[spec.name] = try convert(.string(ecs), to: spec.type) } catch {
                    errors.append(ConfigError(location: node.location,
                                              message: "\(node.name): pipeline.ecs_compatibility `\(ecs)` \(error.message)"))
                }
            } else if let d = spec.defaultValue {
                values[spec.name] = d
            }
        }
        if kind != .codec, codec == nil, byName["codec"] != nil {
            let name = byName["codec"]?.defaultValue?.stringValue ?? "plain"
            codec = makeCodec(.string(name), at: node.location, owner: node.name)
        }
        guard errors.count == before else { return nil }
        let id = values["id"]?.stringValue ?? nextId(node.name)
        return PluginSettings(pluginName: node.name, id: id, values: values, codec: codec,
                              location: node.location, settingLocations: locations)
    }

    private mutating func nextId(_ name: String) -> String {
        let n = (idCounter[name] ?? 0) + 1
        idCounter[name] = n
        return "\(name)_\(n)"
    }

    private mutating func makeCodec(_ value: ConfigValue, at loc: SourceLocation, owner: String) -> (any Codec)? {
        let node: PluginNode
        switch value {
        case .plugin(let p): node = p
        case .string(let s), .bareword(let s): node = PluginNode(name: s, settings: [], location: loc, section: nil)
        default:
            errors.append(ConfigError(location: loc, message: "\(owner): `codec` expects a codec name, e.g. `codec => json`"))
            return nil
        }
        guard let type = registry.codecs[node.name] else {
            var msg = "unknown codec `\(node.name)`"
            if let s = Suggest.closest(to: node.name, in: registry.names(.codec)) { msg += "; did you mean `\(s)`?" }
            errors.append(ConfigError(location: node.location, message: msg))
            return nil
        }
        guard let settings = settings(for: node, kind: .codec) else { return nil }
        do {
            return try type.init(settings: settings, context: context)
        } catch {
            errors.append(ConfigError.wrap(error, at: node.location))
            return nil
        }
    }

    struct Mismatch: Error { let message: String }

    /// Converts a config value to a setting's type, as Logstash's `validate_value` does.
    func convert(_ v: ConfigValue, to type: SettingType) throws(Mismatch) -> Value {
        switch type {
        case .string, .password, .path:
            switch v {
            case .string(let s), .bareword(let s), .number(let s): return .string(s)
            case .array(let a) where a.count == 1: return try convert(a[0], to: type)
            default: throw Mismatch(message: "expects a string, got \(v.kindName)")
            }
        case .template:
            return try convert(v, to: .string)
        case .fieldReference:
            let s = try convert(v, to: .string)
            guard case .string(let text) = s else { return s }
            do { _ = try FieldReference(parsing: text) } catch { throw Mismatch(message: "is not a valid field reference: \(error.reason)") }
            return s
        case .number:
            let n = try number(v)
            if case .double(let d) = n, d.rounded() == d, abs(d) < 9.2e18 { return .int(Int64(d)) }
            return n
        case .float:
            switch try number(v) {
            case .int(let i): return .double(Double(i))
            case let other: return other
            }
        case .boolean:
            switch v {
            case .bareword(let s), .string(let s):
                if s == "true" { return .bool(true) }
                if s == "false" { return .bool(false) }
                throw Mismatch(message: "expects true or false, got `\(s)`")
            default: throw Mismatch(message: "expects true or false, got \(v.kindName)")
            }
        case .array:
            if case .array(let a) = v { return .array(try a.map { v throws(Mismatch) in try convert(v, to: .any) }) }
            return .array([try convert(v, to: .any)])
        case .hash:
            switch v {
            case .hash(let entries):
                var m = FieldMap()
                for e in entries { m.set(e.key, try convert(e.value, to: .any)) }
                return .object(m)
            case .array(let a) where a.count % 2 == 0:
                // Logstash accepts `add_field => ["key", "value", ...]` for hashes; a key given
                // twice collects its values into an array (`match => ["message", "a", "message", "b"]`).
                var m = FieldMap()
                var i = 0
                while i < a.count {
                    let key = try convert(a[i], to: .string).renderedString
                    let value = try convert(a[i + 1], to: .any)
                    switch m[key] {
                    case nil: m.set(key, value)
                    case .array(let existing)?: m.set(key, .array(existing + [value]))
                    case let existing?: m.set(key, .array([existing, value]))
                    }
                    i += 2
                }
                return .object(m)
            default: throw Mismatch(message: "expects a hash like `{ \"key\" => \"value\" }`, got \(v.kindName)")
            }
        case .oneOf(let allowed):
            let s = try convert(v, to: .string).renderedString
            guard allowed.contains(s) else {
                var msg = "must be one of " + allowed.map { "`\($0)`" }.joined(separator: ", ") + ", got `\(s)`"
                if let near = Suggest.closest(to: s, in: allowed) { msg += "; did you mean `\(near)`?" }
                throw Mismatch(message: msg)
            }
            return .string(s)
        case .duration:
            if case .number = v { return .double(try number(v).asDouble) }
            let s = try convert(v, to: .string).renderedString
            guard let d = Units.seconds(s) else { throw Mismatch(message: "expects a duration like `5s`, `100ms`, `2m`, got `\(s)`") }
            return .double(d)
        case .bytes:
            if case .number = v {
                let d = try number(v).asDouble
                guard d.isFinite, abs(d) < 9.2e18 else { throw Mismatch(message: "is out of range") }
                return .int(Int64(d))
            }
            let s = try convert(v, to: .string).renderedString
            guard let b = Units.bytes(s) else { throw Mismatch(message: "expects a size like `64mb`, `512kb`, got `\(s)`") }
            return .int(b)
        case .codec:
            throw Mismatch(message: "expects a codec")
        case .any:
            switch v {
            case .string(let s), .bareword(let s): return .string(s)
            case .number: return try convert(v, to: .number)
            case .array(let a): return .array(try a.map { v throws(Mismatch) in try convert(v, to: .any) })
            case .hash: return try convert(v, to: .hash)
            case .plugin(let p): throw Mismatch(message: "does not take a plugin (`\(p.name) { }`) here")
            }
        }
    }

    private func number(_ v: ConfigValue) throws(Mismatch) -> Value {
        let text: String
        switch v {
        case .number(let s), .string(let s): text = s
        case .array(let a) where a.count == 1: return try number(a[0])
        default: throw Mismatch(message: "expects a number, got \(v.kindName)")
        }
        if let i = Int64(text) { return .int(i) }
        if let d = Double(text), d.isFinite { return .double(d) }
        throw Mismatch(message: "expects a number, got `\(text)`")
    }
}

extension Value {
    var asDouble: Double {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return 0
        }
    }
}

extension ConfigValue {
    var kindName: String {
        switch self {
        case .string: return "a string"
        case .number: return "a number"
        case .bareword(let b): return "`\(b)`"
        case .array: return "an array"
        case .hash: return "a hash"
        case .plugin(let p): return "plugin `\(p.name)`"
        }
    }
}

extension ConfigError {
    /// Gives any error thrown while building a plugin a location.
    static func wrap(_ error: any Error, at loc: SourceLocation?) -> ConfigError {
        if let e = error as? ConfigError { return e }
        return ConfigError(location: loc, message: "\(error)")
    }
}

/// Parses Logstash-style durations and sizes.
public enum Units {
    public static func seconds(_ text: String) -> Double? {
        let s = text.trimmed(" ").lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("us", 1e-6), ("nanos", 1e-9), ("ns", 1e-9), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (u, f) in units where s.hasSuffix(u) {
            if let n = Double(String(s.dropLast(u.count)).trimmed(" ")) { return n * f }
        }
        return Double(s)
    }

    public static func bytes(_ text: String) -> Int64? {
        let s = text.trimmed(" ").lowercased()
        let k = 1024.0
        let units: [(String, Double)] = [("kib", k), ("mib", k * k), ("gib", k * k * k), ("tib", k * k * k * k),
                                         ("kb", k), ("mb", k * k), ("gb", k * k * k), ("tb", k * k * k * k), ("b", 1)]
        for (u, f) in units where s.hasSuffix(u) {
            if let n = Double(String(s.dropLast(u.count)).trimmed(" ")), (n * f).isFinite, abs(n * f) < 9.2e18 {
                return Int64(n * f)
            }
        }
        return Int64(s)
    }
}

extension String {
    func trimmed(_ c: Character) -> String {
        var s = Substring(self)
        while s.first == c { s.removeFirst() }
        while s.last == c { s.removeLast() }
        return String(s)
    }
}
