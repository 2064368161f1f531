import CRdKafka
import Testing

@testable import KafkaPlugins

/// The CRdKafka module imports and links: librdkafka answers and a producer configuration
/// accepts, stores and refuses settings as librdkafka documents.
@Suite struct RdKafkaLinkTests {
    @Test func versionComesFromTheLinkedLibrary() {
        let text = RdKafkaVersion.string
        let parts = text.split(separator: ".").compactMap { Int($0) }
        #expect(parts.count >= 3, "\(text)")
        // rd_kafka_version() is 0xMMmmrrxx: its major and minor agree with the string.
        let n = RdKafkaVersion.number
        #expect(Int((n >> 24) & 0xff) == parts.first, "\(text) vs \(String(n, radix: 16))")
        #expect(Int((n >> 16) & 0xff) == parts.dropFirst().first, "\(text) vs \(String(n, radix: 16))")
    }

    @Test func aProducerConfigurationStoresAndRefusesSettings() throws {
        let conf = try #require(rd_kafka_conf_new())
        defer { rd_kafka_conf_destroy(conf) }
        var err = [CChar](repeating: 0, count: 512)
        #expect(rd_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:9092", &err, err.count) == RD_KAFKA_CONF_OK)
        #expect(rd_kafka_conf_set(conf, "acks", "all", &err, err.count) == RD_KAFKA_CONF_OK)
        var value = [CChar](repeating: 0, count: 256)
        var size = value.count
        #expect(rd_kafka_conf_get(conf, "bootstrap.servers", &value, &size) == RD_KAFKA_CONF_OK)
        #expect(text(value) == "127.0.0.1:9092")
        #expect(rd_kafka_conf_set(conf, "no.such.property", "1", &err, err.count) == RD_KAFKA_CONF_UNKNOWN)
        #expect(text(err).contains("no.such.property"), "\(text(err))")
    }
}

/// A NUL-terminated buffer filled by librdkafka, as a String.
private func text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
