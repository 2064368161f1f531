import SluiceCore

/// The Twitter family: the `twitter` input (v2 filtered stream, v1.1 statuses streams).
public enum TwitterPlugins {
    public static func register(into registry: inout PluginRegistry) {
        registry.register(TwitterInput.self)
    }
}
