import SluiceCore

/// The Kafka family (on librdkafka). It registers no plugin yet: the kafka input and output
/// come next; the family, its C module and its product exist so they have a place to go.
public enum KafkaPlugins {
    public static func register(into r: inout PluginRegistry) {}
}
