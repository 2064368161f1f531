import SluiceCore
import SluiceTesting
@testable import GrokPlugins

/// Builds grok filters directly (without a pipeline) for table-driven tests.
enum GrokSettings {
    static let context = PluginContext(logger: Logger(label: "grok.test"), pipeline: PipelineSettings())

    /// Every declared setting at its default, with `overrides` applied.
    static func make(_ overrides: [String: Value]) -> PluginSettings {
        var values: [String: Value] = [:]
        for spec in GrokFilter.settingSpecs + CommonSettings.filter {
            if let d = spec.defaultValue { values[spec.name] = d }
        }
        for (k, v) in overrides { values[k] = v }
        return PluginSettings(pluginName: "grok", id: "grok_test", values: values)
    }

    static func filter(_ overrides: [String: Value]) throws -> GrokFilter {
        try GrokFilter(settings: make(overrides), context: context)
    }

    /// Runs `filter` over a message and returns the event.
    static func run(_ filter: GrokFilter, _ message: String) -> Event {
        var event = Event(message: message)
        var scratch = FilterContext()
        _ = filter.filter(&event, &scratch)
        return event
    }

    /// The registry with the grok family, for pipeline-level tests.
    static var registry: PluginRegistry {
        var r = PluginRegistry()
        GrokPlugins.register(into: &r)
        return r
    }
}
