import Foundation
@testable import SluiceCore
import SluiceTesting
import Synchronization
import Testing

/// Runs `config` over the runtime test plugins with `deadLetters` as the pipeline's sink.
private func runWithSink(_ config: String, _ deadLetters: DeadLetterSink) async throws {
    var settings = PipelineSettings()
    settings.workers = 1
    settings.batchSize = 3  // one input chunk per batch
    settings.batchDelay = .milliseconds(1)
    let context = PluginContext(logger: dlqLog, pipeline: settings, deadLetters: deadLetters)
    let plan = try PipelinePlan(config: try ConfigLoader.load(string: config, supportEscapes: false),
                                registry: runtimeRegistry(), context: context)
    try await Pipeline(plan: plan, settings: settings).run()
}

@Suite(.timeLimit(.minutes(1))) struct DeadLetterPipelineTests {
    @Test func rejectedEventsAreWrittenToDiskWithPluginTypeIdAndReason() async throws {
        let dir = try dlqTempDir()
        let writer = try DeadLetterWriter(directory: dir, settings: dlqSettings(), logger: dlqLog)
        let p = Probe.make()
        var h = runtimeHarness(workers: 2, batchSize: 4)
        h.deadLetterQueue = writer
        let result = try await h.run("""
            output {
              rejecting { probe => "\(p.id)" id => "picky" every => 3 }
              record { probe => "\(p.id)" id => "other" }
            }
            """, events: seqEvents(12), chunkSize: 4)
        writer.close()
        #expect(result.acks == [.delivered, .delivered, .delivered])
        let entries = dlqReadAll(dir).entries.sorted { ($0.event.seq ?? 0) < ($1.event.seq ?? 0) }
        #expect(entries.compactMap(\.event.seq) == [0, 3, 6, 9])
        #expect(entries.allSatisfy { $0.pluginType == "rejecting" && $0.pluginId == "picky" })
        #expect(entries.first?.reason == "seq 0 is not wanted")
        #expect(entries.first?.event.message == "e0")
        #expect(writer.stats.written == 4)
    }

    @Test func aNonRetriableFailureWritesTheWholeBatch() async throws {
        let dir = try dlqTempDir()
        let writer = try DeadLetterWriter(directory: dir, settings: dlqSettings(), logger: dlqLog)
        let p = Probe.make()
        var h = runtimeHarness()
        h.deadLetterQueue = writer
        let result = try await h.run("""
            output { flaky { probe => "\(p.id)" id => "broken" failures => -1 retriable => false } }
            """, events: seqEvents(5), chunkSize: 5)
        writer.close()
        #expect(result.acks == [.delivered])
        let entries = dlqReadAll(dir).entries
        #expect(entries.compactMap(\.event.seq).sorted() == Array(0..<5))
        #expect(entries.allSatisfy { $0.pluginType == "flaky" && $0.pluginId == "broken" && $0.reason == "attempt 1 failed" })
    }

    @Test func deadLettersAreFlushedBeforeTheBatchIsAcknowledged() async throws {
        let p = Probe.make()
        // At each flush that follows a write, how many input chunks had been acknowledged.
        let seen = Mutex<(writes: Int, acksAtFlush: [Int])>((0, []))
        let sink = DeadLetterSink(write: { _, _, _, _ in
            seen.withLock { $0.writes += 1 }
            return true
        }, flush: {
            seen.withLock { s in
                if s.writes > 0 { s.acksAtFlush.append(p.acks.count); s.writes = 0 }
            }
            return true
        })
        try await runWithSink("""
            input { probe_input { probe => "\(p.id)" count => 9 chunk => 3 } }
            output { rejecting { probe => "\(p.id)" id => "picky" every => 3 } }
            """, sink)
        // One worker: chunk n is flushed while chunks 0..<n are acknowledged, and n is not.
        #expect(seen.withLock { $0.acksAtFlush } == [0, 1, 2])
        #expect(p.acks.map(\.status) == [.delivered, .delivered, .delivered])
    }

    @Test func aDeadLetterThatCannotBeStoredFailsItsBatch() async throws {
        let p = Probe.make()
        let failWrites = DeadLetterSink(write: { _, _, _, _ in false })
        try await runWithSink("""
            input { probe_input { probe => "\(p.id)" count => 6 chunk => 3 } }
            output { rejecting { probe => "\(p.id)" id => "picky" every => 5 } }
            """, failWrites)
        // seq 0 and 5 are rejected, one in each chunk.
        #expect(p.acks.map(\.status) == [.failed, .failed])

        let q = Probe.make()
        let failFlush = DeadLetterSink(write: { _, _, _, _ in true }, flush: { false })
        try await runWithSink("""
            input { probe_input { probe => "\(q.id)" count => 3 chunk => 3 } }
            output { rejecting { probe => "\(q.id)" id => "picky" every => 2 } }
            """, failFlush)
        #expect(q.acks.map(\.status) == [.failed])
    }

    @Test func theDefaultSinkLogsAndAcknowledges() async throws {
        let p = Probe.make()
        try await runWithSink("""
            input { probe_input { probe => "\(p.id)" count => 3 chunk => 3 } }
            output { rejecting { probe => "\(p.id)" id => "picky" every => 2 } }
            """, DeadLetterSink(logger: dlqLog))
        #expect(p.acks.map(\.status) == [.delivered])
    }
}
