import CRdKafka

/// librdkafka properties (`bootstrap.servers`, `acks`, ...) as an `rd_kafka_conf_t`.
/// A refused property becomes a `KafkaError` naming it; the value of a secret property never
/// appears in the error.
enum RDKafkaConfig {
    /// Properties whose values are secrets: never logged, never put in an error.
    static func isSecret(_ property: String) -> Bool {
        let p = property.lowercased()
        return p.contains("password") || p.contains("secret") || p.contains("jaas")
            || p == "sasl.oauthbearer.config" || p == "ssl.key.pem" || p == "ssl_key"
    }

    /// A new configuration holding `properties`; the caller owns it (rd_kafka_new takes it over).
    static func make(_ properties: [String: String]) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw KafkaError.local("cannot allocate a librdkafka configuration") }
        var errstr = [CChar](repeating: 0, count: 512)
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, name, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let reason = isSecret(name) ? "librdkafka refused its value" : text(errstr)
                throw KafkaError.local("invalid librdkafka property `\(name)`: \(reason)")
            }
        }
        return conf
    }

    /// A NUL-terminated buffer librdkafka filled, as a String.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension RDKafkaConfig {
    /// Throws what librdkafka says about `properties` without creating a client (no I/O).
    static func check(_ properties: [String: String]) throws(KafkaError) {
        rd_kafka_conf_destroy(try make(properties))
    }
}
