import SluiceCore

/// Discards every event (for benchmarks and tests).
public final class NullOutput: OutputPlugin {
    public static let pluginName = "null"
    public static let summary = "Discards events."
    public static let settingSpecs: [SettingSpec] = []
    public init(settings: PluginSettings, context: PluginContext) {}
    public func write(_ events: [Event]) async throws -> WriteOutcome { .delivered }
}
