import SluiceCore

/// `reverse { field => "message" }`: reverses a string field. A minimal custom filter.
public final class ReverseFilter: FilterPlugin {
    public static let pluginName = "reverse"
    public static let summary = "Reverses the characters of a string field."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("field", .fieldReference, default: "message", doc: "The field to reverse."),
    ]

    let field: FieldReference

    public init(settings: PluginSettings, context: PluginContext) throws {
        guard let f = settings.fieldReference("field") else { throw settings.error("field", "is not a field reference") }
        field = f
    }

    public func filter(_ event: inout Event, _ context: inout FilterContext) -> FilterResult {
        guard case .string(let s)? = event[field] else { return .unmatched }
        event[field] = .string(String(s.reversed()))
        return .matched
    }
}

/// This package's plugin family: what a host (ours in sluice-custom, or anyone's) registers.
public enum ReversePlugin {
    public static func register(into r: inout PluginRegistry) {
        r.register(ReverseFilter.self)
    }
}
