import SluiceCore

/// The Kafka family, on librdkafka (one wrapper in RDKafka/): the kafka input and output.
public enum KafkaPlugins {
    public static func register(into r: inout PluginRegistry) {
        r.register(KafkaInput.self)
        r.register(KafkaOutput.self)
    }
}
