import SluiceCore
import Testing
@testable import KafkaPlugins

/// librdkafka 2.0.2 stops fetching while the consumer's queue holds `queued.min.messages`
/// records and looks again only about once a second; `FetchWaker` restarts fetching as soon as
/// the queue has drained. With a queue of 1,000 records and fetches of ~9,000 (1 MB), librdkafka
/// alone reads one fetch a second here: 60,000 records took ~7 s with the waker off, ~0.3 s on.
@Suite(.serialized) struct FetchWakerTests {
    @Test func aDrainedPrefetchQueueIsFetchedAgainWithoutWaitingASecond() throws {
        let cluster = try KafkaCluster()
        let topic = KafkaCluster.topic("waker")
        try cluster.control("create \(topic) 1 3")
        try cluster.produce(topic, 0..<60_000)
        let consumer = try KafkaConsumer(properties: [
            "bootstrap.servers": cluster.bootstrap, "group.id": "g-\(topic)", "auto.offset.reset": "earliest",
            "queued.min.messages": "1000",
        ], logger: Logger(label: "t"))
        defer { consumer.close() }
        try consumer.subscribe([topic])
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        var offsets = Set<Int64>()
        var first: ContinuousClock.Instant?
        while offsets.count < 60_000, clock.now < deadline {
            if case .record = consumer.poll(timeoutMs: 100, { offsets.insert($0.offset) }) { first = first ?? clock.now }
        }
        #expect(offsets == Set(0..<60_000), "every record once")
        let took = first.map { clock.now - $0 } ?? .seconds(60)
        #expect(took < .seconds(3), "from the first record to the last: \(took)")
        if librdkafkaBefore21 { #expect(consumer.fetchWakeups > 0) }
    }

    private var librdkafkaBefore21: Bool { RdKafkaVersion.number < FetchWaker.configurableSince }
}
