import SluiceCore

/// `reverse { field => "message" }`: reverses a string field. A minimal custom filter.
final class ReverseFilter: FilterPlugin {
    static let pluginName = "reverse"
    static let summary = "Reverses the characters of a string field."
    static let settingSpecs: [SettingSpec] = [
        SettingSpec("field", .fieldReference, default: "message", doc: "The field to reverse."),
    ]

    let field: FieldReference

    init(settings: PluginSettings, context: PluginContext) throws {
        guard let f = settings.fieldReference("field") else { throw settings.error("field", "is not a field reference") }
        field = f
    }

    func filter(_ event: inout Event, _ context: inout FilterContext) -> FilterResult {
        guard case .string(let s)? = event[field] else { return .unmatched }
        event[field] = .string(String(s.reversed()))
        return .matched
    }
}
