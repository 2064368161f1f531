import SluiceCore

/// The WebHDFS family: writes to HDFS over the WebHDFS REST API (through SluiceHTTP).
public enum WebHDFSPlugins {
    public static func register(into registry: inout PluginRegistry) {
        registry.register(WebHDFSOutput.self)
    }
}
