import SluiceCore

/// The Elasticsearch family: the `elasticsearch` output (bulk API, through SluiceHTTP).
public enum ElasticsearchPlugins {
    public static func register(into registry: inout PluginRegistry) {
        registry.register(ElasticsearchOutput.self)
    }
}
