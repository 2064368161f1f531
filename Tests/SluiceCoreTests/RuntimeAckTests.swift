import SluiceCore
import SluiceTesting
import Testing

/// A harness over the runtime test plugins.
func runtimeHarness(workers: Int = 1, batchSize: Int = 125) -> PipelineHarness {
    var h = PipelineHarness(registry: runtimeRegistry())
    h.settings.workers = workers
    h.settings.batchSize = batchSize
    return h
}

/// Test events with `seq` 0..<n.
func seqEvents(_ n: Int) -> [Event] {
    (0..<n).map { i in
        var e = Event(message: "e\(i)")
        e.fields.set("seq", .int(Int64(i)))
        return e
    }
}

@Suite("Runtime: acknowledgements, retries, dead letters", .timeLimit(.minutes(1)))
struct RuntimeAckTests {
    @Test(arguments: [1, 3])
    func everyInputBatchIsAcknowledgedOnceAfterEveryOutputReturned(workers: Int) async throws {
        let p = Probe.make()
        let config = """
            input { probe_input { probe => "\(p.id)" count => 60 chunk => 5 } }
            output {
              record { probe => "\(p.id)" id => "fast" }
              record { probe => "\(p.id)" id => "slow" delay => 0.01 }
            }
            """
        _ = try await runtimeHarness(workers: workers, batchSize: 10).run(config)
        let acks = p.acks
        #expect(acks.map(\.chunk).sorted() == Array(0..<12), "each chunk acknowledged exactly once")
        #expect(acks.allSatisfy { $0.status == .delivered })
        // At the moment an acknowledgement fired, both outputs had already returned its events.
        let log = p.log
        var early: [String] = []
        for (k, entry) in log.enumerated() {
            guard case .ack(let chunk, _) = entry else { continue }
            for output in ["fast", "slow"] {
                let before = Set(log[..<k].flatMap { e -> [Int] in
                    if case .wrote(output, let seqs) = e { return seqs } else { return [] }
                })
                if !Set(chunk * 5..<(chunk + 1) * 5).isSubset(of: before) { early.append("chunk \(chunk) before `\(output)`") }
            }
        }
        #expect(early.isEmpty, "acknowledged before the output returned: \(early)")
        #expect(p.written(by: "fast").sorted() == Array(0..<60))
        #expect(p.written(by: "slow").sorted() == Array(0..<60))
    }

    /// Most writes `output` had running at once, from its `concurrent` steps.
    private func mostConcurrent(_ p: Probe, _ output: String) -> Int {
        p.log.compactMap { e -> Int? in
            guard case .step(let s) = e, s.hasPrefix("\(output) concurrent ") else { return nil }
            return Int(s.dropFirst("\(output) concurrent ".count))
        }.max() ?? 0
    }

    @Test func oneWorkerKeepsAsManyBatchesInAnOutputAsItsWriteConcurrencyAllows() async throws {
        let p = Probe.make()
        let config = """
            input { probe_input { probe => "\(p.id)" count => 200 chunk => 10 } }
            output { record { probe => "\(p.id)" id => "async" delay => 0.05 concurrency => 4 } }
            """
        var h = runtimeHarness(workers: 1, batchSize: 10)
        h.settings.ordered = "false"
        _ = try await h.run(config)
        #expect(mostConcurrent(p, "async") == 4, "four batches in the output at once, never more")
        #expect(p.acks.map(\.chunk).sorted() == Array(0..<20), "each chunk acknowledged exactly once")
        #expect(p.acks.allSatisfy { $0.status == .delivered })
        #expect(p.written(by: "async").sorted() == Array(0..<200))
    }

    @Test(arguments: ["auto", "true"])
    func pipelineOrderedKeepsOneWorkersBatchesInOrder(ordered: String) async throws {
        let p = Probe.make()
        let config = """
            input { probe_input { probe => "\(p.id)" count => 100 chunk => 10 } }
            output { record { probe => "\(p.id)" id => "async" delay => 0.01 concurrency => 4 } }
            """
        var h = runtimeHarness(workers: 1, batchSize: 10)
        h.settings.ordered = ordered
        _ = try await h.run(config)
        #expect(mostConcurrent(p, "async") == 1)
        #expect(p.written(by: "async") == Array(0..<100))
    }

    @Test func theLeastConcurrentOutputSetsThePaceAndOneWorkerKeepsItsOrder() async throws {
        let p = Probe.make()
        let config = """
            input { probe_input { probe => "\(p.id)" count => 100 chunk => 10 } }
            output {
              record { probe => "\(p.id)" id => "async" delay => 0.01 concurrency => 4 }
              record { probe => "\(p.id)" id => "ordered" }
            }
            """
        var h = runtimeHarness(workers: 1, batchSize: 10)
        h.settings.ordered = "false"
        _ = try await h.run(config)
        #expect(mostConcurrent(p, "async") == 1)
        #expect(p.written(by: "ordered") == Array(0..<100), "a single worker's batches stay in order")
        #expect(p.written(by: "async") == Array(0..<100))
    }

    @Test func aSendLargerThanABatchIsAcknowledgedOnce() async throws {
        let result = try await runtimeHarness(batchSize: 125).run("", events: seqEvents(700), chunkSize: 300)
        #expect(result.acks == [.delivered, .delivered, .delivered])
        #expect(result.events.compactMap(\.seq) == Array(0..<700))
    }

    @Test func droppedEventsStillAcknowledge() async throws {
        let p = Probe.make()
        let config = """
            input { probe_input { probe => "\(p.id)" count => 20 chunk => 5 } }
            filter { if [seq] >= 3 { discard { } } }
            output { record { probe => "\(p.id)" id => "out" } }
            """
        _ = try await runtimeHarness().run(config)
        // Chunks 1...3 were dropped entirely: no output saw them, yet they are delivered.
        #expect(p.acks.map(\.chunk).sorted() == [0, 1, 2, 3])
        #expect(p.acks.allSatisfy { $0.status == .delivered })
        #expect(p.written(by: "out") == [0, 1, 2])
    }

    @Test func everythingDroppedStillAcknowledges() async throws {
        let result = try await runtimeHarness().run("filter { discard { } }", events: seqEvents(30), chunkSize: 10)
        #expect(result.events.isEmpty)
        #expect(result.acks == [.delivered, .delivered, .delivered])
    }

    @Test func aRetriableFailureIsRetriedWithBackoffAndDeliveredOnce() async throws {
        let p = Probe.make()
        let config = """
            output { flaky { probe => "\(p.id)" id => "f" failures => 3 } }
            """
        let clock = ContinuousClock()
        let start = clock.now
        let result = try await runtimeHarness().run(config, events: seqEvents(10), chunkSize: 10)
        let elapsed = clock.now - start
        #expect(p.attempts("f") == 4)
        #expect(p.written(by: "f") == Array(0..<10), "delivered exactly once, in order")
        #expect(result.acks == [.delivered])
        #expect(result.deadLetters.isEmpty)
        // Backoff 100 ms, 200 ms, 400 ms: the retries were not immediate.
        #expect(elapsed >= .milliseconds(600), "retried after \(elapsed)")
    }

    @Test func onlyTheEventsAnOutputAsksToRetryAreWrittenAgain() async throws {
        let p = Probe.make()
        let config = """
            output { partial { probe => "\(p.id)" id => "bulk" every => 3 } }
            """
        let result = try await runtimeHarness().run(config, events: seqEvents(10), chunkSize: 10)
        #expect(result.acks == [.delivered])
        let writes = p.log.compactMap { e -> [Int]? in if case .wrote("bulk", let s) = e { return s } else { return nil } }
        #expect(writes == [[1, 2, 4, 5, 7, 8], [0, 3, 6, 9]], "the second write holds only the retried events")
        #expect(p.written(by: "bulk").sorted() == Array(0..<10), "each event delivered exactly once")
    }

    @Test func aNonRetriableErrorSendsTheBatchToTheDeadLetterQueueAndAcknowledges() async throws {
        let p = Probe.make()
        let config = """
            output { flaky { probe => "\(p.id)" id => "broken" failures => -1 retriable => false } }
            """
        let result = try await runtimeHarness().run(config, events: seqEvents(6), chunkSize: 3)
        #expect(result.acks == [.delivered, .delivered])
        #expect(result.deadLetters.compactMap(\.event.seq).sorted() == Array(0..<6))
        #expect(result.deadLetters.allSatisfy { $0.pluginId == "broken" && $0.reason.contains("failed") })
        #expect(p.attempts("broken") <= 2, "a permanent failure is not retried")
        #expect(p.written(by: "broken").isEmpty)
    }

    @Test func perEventRejectionsGoToTheDeadLetterQueueWithPluginIdAndReason() async throws {
        let p = Probe.make()
        let config = """
            output {
              rejecting { probe => "\(p.id)" id => "picky" every => 3 }
              record { probe => "\(p.id)" id => "other" }
            }
            """
        let result = try await runtimeHarness().run(config, events: seqEvents(10), chunkSize: 5)
        #expect(result.acks == [.delivered, .delivered])
        let dead = result.deadLetters.sorted { ($0.event.seq ?? 0) < ($1.event.seq ?? 0) }
        #expect(dead.compactMap(\.event.seq) == [0, 3, 6, 9])
        #expect(dead.map(\.pluginId) == Array(repeating: "picky", count: 4))
        #expect(dead.first?.reason == "seq 0 is not wanted")
        #expect(p.written(by: "picky").sorted() == [1, 2, 4, 5, 7, 8])
        // A rejection by one output does not keep the event from the others.
        #expect(p.written(by: "other").sorted() == Array(0..<10))
    }

    @Test func stopKeepsRetryingInFlightEventsUntilTheyAreDelivered() async throws {
        let p = Probe.make()
        let running = try runtimeHarness().start("""
            output { flaky { probe => "\(p.id)" id => "f" failures => 2 } }
            """, events: seqEvents(5), chunkSize: 5)
        #expect(await eventually { p.attempts("f") >= 1 })
        running.stop()
        let result = try await running.finish()
        #expect(p.written(by: "f") == Array(0..<5))
        #expect(result.acks == [.delivered])
    }

    @Test func abortGivesUpOnRetriesAndReportsFailed() async throws {
        let p = Probe.make()
        let running = try runtimeHarness().start("""
            output { flaky { probe => "\(p.id)" id => "f" failures => -1 } }
            """, events: seqEvents(5), chunkSize: 5)
        #expect(await eventually { p.attempts("f") >= 2 })
        running.abort()
        let result = try await running.finish()
        #expect(p.written(by: "f").isEmpty)
        #expect(result.acks == [.failed], "events that never reached the output must not count as delivered")
        #expect(result.deadLetters.isEmpty, "retriable failures are not dead letters")
    }
}
