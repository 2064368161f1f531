import SluiceCore
import SluiceTesting
@testable import GrokPlugins

/// Builds grok filters directly (without a pipeline) for table-driven tests.
enum GrokSettings {
    static let context = PluginContext(logger: Logger(label: "grok.test", factory: { _ in SwiftLogNoOpLogHandler() }),
                                       pipeline: PipelineSettings())

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

    /// Runs `filter { <body> }` over messages with the pipeline harness.
    static func pipeline(_ body: String, _ messages: [String]) async throws -> [Event] {
        try await PipelineHarness(registry: registry)
            .run("filter { \(body) }", events: messages.map { Event(message: $0) }).events
    }

    /// The configuration errors of `filter { <body> }`, rendered.
    static func errors(_ body: String) -> String? {
        PipelineHarness(registry: registry).check("filter { \(body) }").map { "\($0)" }
    }

    /// A fresh temporary directory.
    static func tempDir() throws -> String {
        let dir = "/tmp/sluice-grok-\(UInt64.random(in: 0...UInt64.max))"
        try FileIO.makeDirectories(dir)
        return dir
    }
}
