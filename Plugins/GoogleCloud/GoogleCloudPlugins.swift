import SluiceCore

/// The Google Cloud family: `google_cloud_storage` and `google_bigquery` outputs, sharing one
/// way to find their endpoint and credentials (`GoogleCredentials`).
public enum GoogleCloudPlugins {
    public static func register(into registry: inout PluginRegistry) {
        registry.register(GoogleCloudStorageOutput.self)
        registry.register(BigQueryOutput.self)
    }
}
