import SluiceCore

/// The settings the kafka input and output share (Logstash's names): the brokers, the client
/// id, security (SASL, TLS) and `kafka_properties`, a hash of any other librdkafka property.
/// They become librdkafka properties here, once, for both plugins.
enum KafkaClientSettings {
    static let specs: [SettingSpec] = [
        SettingSpec("bootstrap_servers", .string, default: "localhost:9092",
                    doc: "Brokers to connect to first, `host:port` separated by commas (librdkafka `bootstrap.servers`)."),
        SettingSpec("client_id", .string, doc: "Client id sent to the brokers (librdkafka `client.id`)."),
        SettingSpec("security_protocol", .oneOf(["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]), default: "PLAINTEXT",
                    doc: "How to talk to the brokers (librdkafka `security.protocol`)."),
        SettingSpec("sasl_mechanism", .oneOf(["GSSAPI", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"]),
                    doc: "SASL mechanism (librdkafka `sasl.mechanisms`); default PLAIN when `sasl_jaas_config` uses PlainLoginModule, else GSSAPI."),
        SettingSpec("sasl_username", .string, doc: "SASL user name (librdkafka `sasl.username`)."),
        SettingSpec("sasl_password", .password, doc: "SASL password (librdkafka `sasl.password`)."),
        SettingSpec("sasl_jaas_config", .password,
                    doc: "A Java JAAS line, e.g. `org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\";`: its username and password are used (Plain and Scram login modules)."),
        SettingSpec("sasl_kerberos_service_name", .string, doc: "Kerberos principal name of the brokers (librdkafka `sasl.kerberos.service.name`)."),
        SettingSpec("ssl_truststore_location", .path,
                    doc: "CA certificates (PEM) that verify the brokers (librdkafka `ssl.ca.location`). Java keystores (JKS) are not read: convert them to PEM."),
        SettingSpec("ssl_keystore_location", .path, doc: "Client certificate and key as a PKCS#12 file (librdkafka `ssl.keystore.location`)."),
        SettingSpec("ssl_keystore_password", .password, doc: "Password of the PKCS#12 keystore (librdkafka `ssl.keystore.password`)."),
        SettingSpec("ssl_key_password", .password, doc: "Password of the client's private key (librdkafka `ssl.key.password`)."),
        SettingSpec("ssl_endpoint_identification_algorithm", .string, default: "https",
                    doc: "`https` checks that the broker's certificate names its host; an empty string turns that off."),
        SettingSpec("kafka_properties", .hash, default: .object(FieldMap()),
                    doc: "Any other librdkafka property, e.g. `{ \"message.timeout.ms\" => \"60000\" }`; wins over the settings above."),
    ]

    /// The librdkafka properties of the shared settings.
    static func properties(_ settings: PluginSettings) throws -> [String: String] {
        var p: [String: String] = [:]
        p["bootstrap.servers"] = try settings.declaredString("bootstrap_servers")
        if let id = settings.string("client_id") { p["client.id"] = id }
        let proto = try settings.declaredString("security_protocol")
        p["security.protocol"] = proto.lowercased()
        var mechanism = settings.string("sasl_mechanism")
        if let jaas = settings.string("sasl_jaas_config") {
            let parsed = try JAASConfig(parsing: jaas, settings: settings)
            mechanism = mechanism ?? parsed.mechanism
            p["sasl.username"] = parsed.username
            p["sasl.password"] = parsed.password
        }
        if let user = settings.string("sasl_username") { p["sasl.username"] = user }
        if let password = settings.string("sasl_password") { p["sasl.password"] = password }
        if proto.hasPrefix("SASL") { p["sasl.mechanisms"] = mechanism ?? "GSSAPI" }
        if let name = settings.string("sasl_kerberos_service_name") { p["sasl.kerberos.service.name"] = name }
        if let ca = settings.string("ssl_truststore_location") {
            if ca.lowercased().hasSuffix(".jks") {
                throw settings.error("ssl_truststore_location", "is a Java keystore; librdkafka reads PEM: convert it (keytool -exportcert -rfc)")
            }
            p["ssl.ca.location"] = ca
        }
        if let ks = settings.string("ssl_keystore_location") { p["ssl.keystore.location"] = ks }
        if let pw = settings.string("ssl_keystore_password") { p["ssl.keystore.password"] = pw }
        if let pw = settings.string("ssl_key_password") { p["ssl.key.password"] = pw }
        let algorithm = try settings.declaredString("ssl_endpoint_identification_algorithm")
        p["ssl.endpoint.identification.algorithm"] = algorithm.isEmpty ? "none" : algorithm
        for (key, value) in settings.hash("kafka_properties") { p[key] = value.renderedString }
        return p
    }
}

/// The parts of a Java JAAS login line librdkafka can use: user name, password and, from the
/// login module, the SASL mechanism. Errors never quote the line (it holds the password).
struct JAASConfig {
    var username: String
    var password: String
    var mechanism: String?

    init(parsing line: String, settings: PluginSettings) throws {
        var options: [String: String] = [:]
        let scalars = Array(line.unicodeScalars)
        var i = 0
        // key="value" or key=value pairs after the module name and its control flag.
        while i < scalars.count {
            guard let eq = scalars[i...].firstIndex(of: "=") else { break }
            var k = eq
            while k > i, scalars[k - 1] == " " { k -= 1 }
            var start = k
            while start > i, !" \t\n;".unicodeScalars.contains(scalars[start - 1]) { start -= 1 }
            let key = String(String.UnicodeScalarView(scalars[start..<k]))
            var j = eq + 1
            while j < scalars.count, scalars[j] == " " { j += 1 }
            var value = ""
            if j < scalars.count, scalars[j] == "\"" {
                j += 1
                while j < scalars.count, scalars[j] != "\"" {
                    if scalars[j] == "\\", j + 1 < scalars.count { j += 1 }
                    value.unicodeScalars.append(scalars[j])
                    j += 1
                }
                j += 1
            } else {
                while j < scalars.count, !" \t\n;".unicodeScalars.contains(scalars[j]) {
                    value.unicodeScalars.append(scalars[j])
                    j += 1
                }
            }
            options[key] = value
            i = j
        }
        guard let user = options["username"], let password = options["password"] else {
            throw settings.error("sasl_jaas_config", "needs username=\"...\" and password=\"...\" (a Plain or Scram login module)")
        }
        username = user
        self.password = password
        mechanism = line.contains("PlainLoginModule") ? "PLAIN" : nil
    }
}
