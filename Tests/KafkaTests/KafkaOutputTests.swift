import SluiceCore
import SluiceTesting
import Testing
@testable import KafkaPlugins

/// The kafka output against librdkafka's mock cluster (scripts/services.sh), read back with
/// kcat. Serialized: some tests take the brokers down through the mock's control port.
@Suite(.serialized) struct KafkaOutputTests {
    let cluster: KafkaCluster
    init() throws { cluster = try KafkaCluster() }

    private func harness(_ logs: LogCapture? = nil) -> PipelineHarness {
        var r = PluginRegistry()
        KafkaPlugins.register(into: &r)
        var h = PipelineHarness(registry: r)
        h.settings.batchSize = 125
        if let logs { h.logger = logs.logger }
        return h
    }

    private func events(_ n: Int, size: Int = 0) -> [Event] {
        (0..<n).map { i in
            var e = Event(message: "event \(i)" + String(repeating: "x", count: size))
            e.fields.set("id", .string("e\(i)"))
            e.fields.set("app", .string(i % 2 == 0 ? "even" : "odd"))
            return e
        }
    }

    @Test(arguments: ["none", "gzip", "snappy", "lz4", "zstd"])
    func kcatReadsEveryMessageWithItsKeyHeadersAndPayload(compression: String) async throws {
        let topic = KafkaCluster.topic("out-\(compression)")
        let before = Timestamp.now().epochMilliseconds
        let result = try await harness().run("""
            output { kafka { bootstrap_servers => "\(cluster.bootstrap)" topic_id => "\(topic)"
                             compression_type => "\(compression)" message_key => "%{id}"
                             message_headers => { "app" => "%{app}" "fixed" => "x" }
                             codec => plain { format => "%{message}" } } }
            """, events: events(300), chunkSize: 100)
        #expect(result.acks == [.delivered, .delivered, .delivered])
        #expect(result.deadLetters.isEmpty)
        let after = Timestamp.now().epochMilliseconds
        let records = try cluster.consume(topic)
        #expect(records.count == 300)
        #expect(records.allSatisfy { (before...after).contains($0.timestamp) }, "CreateTime is when the record was produced")
        let byKey = Dictionary(records.map { ($0.key ?? "-", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byKey.count == 300, "one message per key")
        for i in 0..<300 {
            let r = byKey["e\(i)"]
            #expect(r?.payload == "event \(i)")
            #expect(r?.headers == ["app": i % 2 == 0 ? "even" : "odd", "fixed": "x"])
        }
    }

    @Test func theDefaultPlainCodecWritesLogstashsEventText() async throws {
        let topic = KafkaCluster.topic("plain")
        var e = Event(message: "hello", timestamp: Timestamp(year: 2024, month: 5, day: 1, hour: 10))
        e.fields.set("host", .string("web-1"))
        let result = try await harness().run("""
            output { kafka { bootstrap_servers => "\(cluster.bootstrap)" topic_id => "\(topic)" } }
            """, events: [e])
        #expect(result.acks == [.delivered])
        #expect(try cluster.consume(topic).map(\.payload) == ["2024-05-01T10:00:00.000Z web-1 hello"])
    }

    @Test func jsonCodecWritesTheEventAndTheTopicComesFromTheEvent() async throws {
        let prefix = KafkaCluster.topic("json")
        let result = try await harness().run("""
            output { kafka { bootstrap_servers => "\(cluster.bootstrap)" topic_id => "\(prefix)-%{app}" codec => json
                             acks => all enable_idempotence => true } }
            """, events: events(10))
        #expect(result.acks == [.delivered])
        for app in ["even", "odd"] {
            let records = try cluster.consume("\(prefix)-\(app)")
            #expect(records.count == 5)
            for r in records {
                let o = try JSON.decode(r.payload).objectValue
                #expect(o?["app"]?.stringValue == app)
                #expect(o?["message"]?.stringValue?.hasPrefix("event ") == true)
                #expect(r.key == nil)
            }
        }
    }

    @Test func aMessageLargerThanMaxRequestSizeGoesToTheDeadLetterQueueAndTheOthersAreWritten() async throws {
        let topic = KafkaCluster.topic("large")
        var all = events(10)
        all.insert(events(1, size: 5000)[0], at: 4)
        all[4].fields.set("id", .string("big"))
        let result = try await harness().run("""
            output { kafka { bootstrap_servers => "\(cluster.bootstrap)" topic_id => "\(topic)" max_request_size => 2000
                             message_key => "%{id}" codec => plain { format => "%{message}" } } }
            """, events: all, chunkSize: 11)
        #expect(result.acks == [.delivered], "a dead-lettered event counts as handled")
        #expect(result.deadLetters.count == 1)
        #expect(result.deadLetters.first?.event.fields["id"]?.stringValue == "big")
        let reason = result.deadLetters.first?.reason ?? ""
        #expect(reason.contains("MSG_SIZE_TOO_LARGE"), "\(reason)")
        let records = try cluster.consume(topic)
        #expect(Set(records.compactMap(\.key)) == Set((0..<10).map { "e\($0)" }))
    }

    @Test func aBrokerRefusingTheRecordAsTooLargeSendsItToTheDeadLetterQueue() async throws {
        let topic = KafkaCluster.topic("refused")
        try cluster.control("create \(topic) 1 3")
        // The next Produce request (API key 0) is answered MESSAGE_TOO_LARGE, as a broker
        // with a smaller message.max.bytes would answer.
        try cluster.control("push_errors 0 MSG_SIZE_TOO_LARGE")
        defer { _ = try? cluster.control("clear_errors 0") }
        let result = try await harness().run("""
            output { kafka { bootstrap_servers => "\(cluster.bootstrap)" topic_id => "\(topic)" } }
            """, events: events(1))
        #expect(result.acks == [.delivered])
        #expect(result.deadLetters.count == 1)
        #expect(result.deadLetters.first?.reason.contains("MSG_SIZE_TOO_LARGE") == true, "\(result.deadLetters.first?.reason ?? "")")
        #expect(try cluster.consume(topic).isEmpty)
    }

    @Test func retriableProduceErrorsAreRetriedAndEveryEventArrivesOnce() async throws {
        let topic = KafkaCluster.topic("retriable")
        try cluster.control("create \(topic) 1 3")
        try cluster.control("push_errors 0 NOT_ENOUGH_REPLICAS NOT_ENOUGH_REPLICAS LEADER_NOT_AVAILABLE")
        defer { _ = try? cluster.control("clear_errors 0") }
        let logs = LogCapture()
        // `retries => 0`: librdkafka reports the first failure instead of re-sending, so the
        // events come back to Sluice as retriable and the host writes them again.
        let result = try await harness(logs).run("""
            output { kafka { bootstrap_servers => "\(cluster.bootstrap)" topic_id => "\(topic)" message_key => "%{id}"
                             acks => all retries => 0 } }
            """, events: events(50))
        #expect(result.acks == [.delivered])
        #expect(result.deadLetters.isEmpty)
        #expect(logs.all.contains("NOT_ENOUGH_REPLICAS"), "the failed reports came back to the pipeline as retries")
        let keys = try cluster.consume(topic).compactMap(\.key)
        #expect(keys.sorted() == (0..<50).map { "e\($0)" }.sorted())
    }

    @Test func aFatalProducerErrorReplacesTheProducerAndTheEventsAreWrittenAgain() async throws {
        let topic = KafkaCluster.topic("fatal")
        let logs = LogCapture()
        let output = try KafkaOutput(settings: PluginSettings(pluginName: "kafka", id: "k", values: [
            "topic_id": .string(topic), "bootstrap_servers": .string(cluster.bootstrap), "message_key": .string("%{id}"),
            "acks": .string("all"), "linger_ms": .int(1), "batch_size": .int(16384), "buffer_memory": .int(1 << 20),
            "compression_type": .string("none"), "retry_backoff_ms": .int(100), "max_request_size": .int(1 << 20),
            "enable_idempotence": .bool(true), "partitioner": .string("default"), "kafka_properties": .object(FieldMap()),
            "security_protocol": .string("PLAINTEXT"), "ssl_endpoint_identification_algorithm": .string("https"),
        ], codec: PlainCodec(settings: PluginSettings(pluginName: "plain", id: "p", values: ["format": .string("%{message}")]))),
            context: PluginContext(logger: logs.logger, pipeline: PipelineSettings()))
        try await output.start()
        let first = events(20)
        #expect(try await output.write(Array(first[0..<10])).retry.isEmpty)
        let broken = try output.current()
        broken.raiseFatalErrorForTesting()
        // The write that meets the fatal error gets its events back to retry, as the host would.
        let failed = try await output.write(Array(first[10..<20]))
        #expect(failed.retry.count == 10, "\(failed.retry.map(\.reason))")
        #expect(failed.rejected.isEmpty)
        #expect(try output.current() !== broken, "a new producer took the failed one's place")
        #expect(logs.all.contains("fatal error"))
        let again = try await output.write(Array(first[10..<20]))
        #expect(again.retry.isEmpty && again.rejected.isEmpty)
        try await output.close()
        let keys = try cluster.consume(topic).compactMap(\.key)
        #expect(Set(keys) == Set((0..<20).map { "e\($0)" }))
    }

    @Test func brokersDownThenUpLoseNothing() async throws {
        let topic = KafkaCluster.topic("down")
        try cluster.control("create \(topic) 3 3")
        try cluster.control("down -1")
        var upped = false
        defer { if !upped { _ = try? cluster.control("up -1") } }
        let running = try harness().start("""
            output { kafka { bootstrap_servers => "\(cluster.bootstrap)" topic_id => "\(topic)" message_key => "%{id}" } }
            """, events: events(300), chunkSize: 100)
        try await Task.sleep(for: .seconds(4))
        #expect(running.current.acks.isEmpty, "nothing is acknowledged while every broker is down")
        try cluster.control("up -1")
        upped = true
        #expect(await running.waitUntil(timeout: .seconds(60)) { $0.acks.count == 3 })
        let result = try await running.finish()
        #expect(result.acks == [.delivered, .delivered, .delivered])
        let keys = try cluster.consume(topic).compactMap(\.key)
        #expect(Set(keys) == Set((0..<300).map { "e\($0)" }), "every event was delivered once the brokers were up")
        #expect(keys.count >= 300)
    }

    @Test func shutdownWhileTheBrokersAreDownEndsWithinTheTimeoutAndAcknowledgesNothing() async throws {
        let topic = KafkaCluster.topic("shutdown")
        try cluster.control("create \(topic) 1 3")
        try cluster.control("down -1")
        defer { _ = try? cluster.control("up -1") }
        var h = harness()
        h.settings.shutdownTimeout = .seconds(2)
        let running = try h.start("""
            output { kafka { bootstrap_servers => "\(cluster.bootstrap)" topic_id => "\(topic)" } }
            """, events: events(100), chunkSize: 50)
        try await Task.sleep(for: .seconds(2))
        let clock = ContinuousClock()
        let began = clock.now
        running.stop()
        let result = try await running.finish()
        let took = clock.now - began
        #expect(took < .seconds(4), "shutdown took \(took): shutdown_timeout 2 s plus a flush of at most 1 s")
        #expect(!result.acks.contains(.delivered), "no batch counts as written: \(result.acks)")
        #expect(result.deadLetters.isEmpty, "undelivered events stay at their source, not in the dead-letter queue")
    }

    /// Batches are handed to librdkafka on the producer's poll thread; a batch still waiting
    /// for it when the producer closes must end too, failed, and what a batch reported as
    /// delivered is on the broker.
    @Test(.timeLimit(.minutes(1))) func writesRacingCloseAllEndAndWhatCountsAsDeliveredArrived() async throws {
        let topic = KafkaCluster.topic("race-close")
        try cluster.control("create \(topic) 3 3")
        let producer = try KafkaProducer(properties: ["bootstrap.servers": cluster.bootstrap, "linger.ms": "1"],
                                         logger: Logger(label: "t"))
        func batch(_ b: Int) -> KafkaMessages {
            var m = KafkaMessages()
            for i in 0..<50 {
                m.append(topic: topic, key: { $0.append(contentsOf: Array("b\(b)-\(i)".utf8)) }, value: { $0.append(contentsOf: Array("v".utf8)) })
            }
            return m
        }
        let delivered = await withTaskGroup(of: [String].self) { group in
            for b in 0..<1000 {
                group.addTask {
                    let results = await producer.produce(batch(b))
                    return results.indices.filter { results[$0] == nil }.map { "b\(b)-\($0)" }
                }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(20))
                producer.close(timeout: .milliseconds(500))
                return []
            }
            var all: [String] = []
            for await keys in group { all += keys }
            return all
        }
        let failedAfterClose = await producer.produce(batch(999))
        #expect(failedAfterClose.allSatisfy { $0 != nil }, "a write after close fails at once")
        let onBroker = Set(try cluster.consume(topic).compactMap(\.key))
        #expect(Set(delivered).isSubset(of: onBroker), "\(Set(delivered).subtracting(onBroker).count) reported delivered but missing")
        #expect(delivered.count < 1000 * 50, "the close came while writes were still arriving (else the test proves nothing)")
    }

    @Test func secretsNeverReachTheLogs() async throws {
        let logs = LogCapture()
        var h = harness(logs)
        h.settings.shutdownTimeout = .seconds(1)
        let topic = KafkaCluster.topic("secret")
        // The mock cluster speaks no SASL: the client fails to authenticate and logs why.
        let running = try h.start("""
            output { kafka { bootstrap_servers => "\(cluster.bootstrap)" topic_id => "\(topic)"
                             security_protocol => "SASL_PLAINTEXT" sasl_mechanism => "PLAIN"
                             sasl_username => "alice" sasl_password => "pw-in-setting-41"
                             kafka_properties => { "debug" => "conf,security,broker" } } }
            """, events: events(5))
        try await Task.sleep(for: .seconds(3))
        running.stop()
        _ = try await running.finish()
        #expect(logs.all.contains("sasl.password"), "librdkafka's configuration dump reached the logger")
        #expect(!logs.all.contains("pw-in-setting-41"))
    }
}

/// Settings: validated without connecting, errors name the setting and never a secret.
@Suite struct KafkaOutputSettingsTests {
    private func check(_ body: String) -> String? {
        var r = PluginRegistry()
        KafkaPlugins.register(into: &r)
        return PipelineHarness(registry: r).check("output { kafka { \(body) } }").map { "\($0)" }
    }

    @Test func validSettingsPassWithoutABroker() {
        #expect(check("""
            bootstrap_servers => "127.0.0.1:1" topic_id => "t" acks => 1 compression_type => "zstd" partitioner => "round_robin"
            kafka_properties => { "queue.buffering.max.ms" => "5" }
            """) == nil)
    }

    @Test func badValuesAreRefusedByName() {
        #expect(check(#"topic_id => "t" compression_type => "brotli""#)?.contains("compression_type") == true)
        #expect(check(#"topic_id => "t" acks => 2"#)?.contains("acks") == true)
        let unknown = check(#"topic_id => "t" kafka_properties => { "no.such.property" => "1" }"#) ?? ""
        #expect(unknown.contains("no.such.property"), "\(unknown)")
        #expect(check(#"bootstrap_servers => "x""#)?.contains("topic_id") == true)
        #expect(check(#"topic_id => "t" enable_idempotence => true acks => 1"#)?.contains("acks") == true)
        #expect(check(#"topic_id => "t" enable_idempotence => true"#) == nil, "idempotence implies acks => all")
    }

    @Test func aRefusedPropertyNamesItAndQuotesNoSecret() {
        let e = check("""
            topic_id => "t" sasl_password => "pw-77"
            kafka_properties => { "enable.idempotence" => "maybe" }
            """) ?? ""
        #expect(e.contains("enable.idempotence"), "\(e)")
        #expect(!e.contains("pw-77"))
    }

    @Test func jaasConfigGivesTheUserPasswordAndMechanism() throws {
        let output = try KafkaOutput(settings: PluginSettings(pluginName: "kafka", id: "k", values: [
            "topic_id": .string("t"), "bootstrap_servers": .string("127.0.0.1:1"), "security_protocol": .string("SASL_SSL"),
            "ssl_endpoint_identification_algorithm": .string("https"),
            "sasl_jaas_config": .string(#"org.apache.kafka.common.security.plain.PlainLoginModule required username="bob" password="p w\"x";"#),
            "acks": .string("all"), "linger_ms": .int(5), "batch_size": .int(1000), "buffer_memory": .int(1 << 20),
            "compression_type": .string("lz4"), "retry_backoff_ms": .int(100), "max_request_size": .int(1 << 20),
            "enable_idempotence": .bool(false), "partitioner": .string("default"), "kafka_properties": .object(FieldMap()),
        ], codec: PlainCodec(settings: PluginSettings(pluginName: "plain", id: "p", values: [:]))),
            context: PluginContext(logger: Logger(label: "t"), pipeline: PipelineSettings()))
        #expect(output.properties["sasl.username"] == "bob")
        #expect(output.properties["sasl.password"] == #"p w"x"#)
        #expect(output.properties["sasl.mechanisms"] == "PLAIN")
        #expect(output.properties["security.protocol"] == "sasl_ssl")
        #expect(output.properties["partitioner"] == "murmur2_random")
        #expect(output.properties["compression.codec"] == "lz4")
    }
}

/// A producer librdkafka refuses to create stops the pipeline at start, saying why.
@Suite struct KafkaOutputStartTests {
    @Test func aProducerThatCannotBeCreatedStopsThePipelineWithTheReason() async throws {
        var r = PluginRegistry()
        KafkaPlugins.register(into: &r)
        let h = PipelineHarness(registry: r)
        do {
            _ = try await h.run("""
                output { kafka { bootstrap_servers => "127.0.0.1:1" topic_id => "t" security_protocol => "SSL"
                                 ssl_truststore_location => "/nonexistent/ca.pem" } }
                """, events: [Event(message: "x")])
            Issue.record("the pipeline ran without a producer")
        } catch {
            let text = "\(error)"
            #expect(text.contains("cannot create the Kafka producer") && text.contains("ssl.ca.location"), "\(text)")
        }
    }
}
