import SluiceCore

/// The HTTP family: plugins that speak plain HTTP through SluiceHTTP.
public enum HTTPPlugins {
    public static func register(into registry: inout PluginRegistry) {
        registry.register(HTTPOutput.self)
    }
}
