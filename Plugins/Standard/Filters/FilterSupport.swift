import SluiceCore

// Helpers shared by the standard filters (mutate, json, date): settings text that may hold
// sprintf references, resolved per event only when it does.

/// Setting text that may contain `%{...}`; plain text is kept as is and never rendered.
struct SprintfText {
    private let literal: String
    private let template: Template?

    init(_ text: String) {
        literal = text
        template = text.contains("%{") ? Template(text) : nil
    }

    var isDynamic: Bool { template != nil }
    var text: String { literal }

    @inline(__always)
    func render(_ event: Event) -> String {
        guard let template else { return literal }
        return template.render(event)
    }
}

/// A field name from the settings: parsed once when static, rendered and parsed per event
/// when it is a sprintf template (`"%{kind}_count"`).
enum SprintfField {
    case fixed(FieldReference)
    case templated(Template, String)

    init(_ text: String) throws(FieldReferenceError) {
        if text.contains("%{") {
            self = .templated(Template(text), text)
        } else {
            self = .fixed(try FieldReference(parsing: text))
        }
    }

    @inline(__always)
    func resolve(_ event: Event) throws(FieldReferenceError) -> FieldReference {
        switch self {
        case .fixed(let ref): return ref
        case .templated(let template, _): return try FieldReference(parsing: template.render(event))
        }
    }

    var text: String {
        switch self {
        case .fixed(let ref): return ref.description
        case .templated(_, let text): return text
        }
    }
}

extension PluginSettings {
    /// The text of one entry of a hash or array setting. Scalars are rendered as Logstash
    /// would stringify them; arrays and hashes are rejected.
    func scalarText(_ v: Value, setting: String, entry: String) throws(ConfigError) -> String {
        switch v {
        case .string(let s): return s
        case .int, .double, .bool: return v.renderedString
        default:
            throw error(setting, "the value for `\(entry)` must be a string, got \(v.typeName)")
        }
    }

    /// A field reference named in a setting, parsed now so `sluice check` reports bad ones.
    func parsedField(_ text: String, setting: String) throws(ConfigError) -> FieldReference {
        do { return try FieldReference(parsing: text) } catch { throw self.error(setting, error.description) }
    }

    /// Like `parsedField`, but sprintf templates are allowed and resolved per event.
    func sprintfField(_ text: String, setting: String) throws(ConfigError) -> SprintfField {
        do { return try SprintfField(text) } catch { throw self.error(setting, error.description) }
    }
}
