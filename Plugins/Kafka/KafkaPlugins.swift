import SluiceCore

/// The Kafka family, on librdkafka (one wrapper in RDKafka/): the kafka input and output, and the kafka_lag input.
public enum KafkaPlugins {
    public static func register(into r: inout PluginRegistry) {
        r.register(KafkaInput.self)
        r.register(KafkaOutput.self)
        r.register(KafkaLagInput.self)
    }
}
