import CRdKafka

/// The librdkafka the binary runs with (for logs and `sluice version`-style diagnostics).
enum RdKafkaVersion {
    /// e.g. "2.3.0".
    static var string: String { String(cString: rd_kafka_version_str()) }
    /// librdkafka's hex version: 0xMMmmrrxx.
    static var number: Int32 { rd_kafka_version() }
}
