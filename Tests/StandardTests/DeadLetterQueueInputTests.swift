import Foundation
import SluiceCore
import SluiceTesting
import StandardPlugins
import Testing

/// Rejects (per event, with a reason) the events whose `reject` field is true; accepts the rest.
final class RejectFlaggedOutput: OutputPlugin {
    static let pluginName = "reject_flagged"
    static let summary = "Test output."
    static let settingSpecs: [SettingSpec] = []
    init(settings: PluginSettings, context: PluginContext) {}

    func write(_ events: [Event]) async throws -> WriteOutcome {
        WriteOutcome(rejected: events.enumerated().compactMap { i, e in
            e.fields["reject"] == .bool(true) ? (i, "flagged: \(e.message ?? "")") : nil
        })
    }
}

private func dlqHarness(_ d: TempDir) -> PipelineHarness {
    var h = standardHarness(pathData: d("data"))
    h.registry.register(RejectFlaggedOutput.self)
    return h
}

private func enabled(_ tweak: (inout DeadLetterQueueSettings) -> Void = { _ in }) -> DeadLetterQueueSettings {
    var s = DeadLetterQueueSettings()
    s.enabled = true
    tweak(&s)
    return s
}

private let log = Logger(label: "test.dlq-input")

private func entry(_ i: Int) -> Event {
    var e = Event(message: "m\(i)")
    e.fields.set("seq", .int(Int64(i)))
    return e
}

private func seqs(_ events: [Event]) -> [Int] {
    events.compactMap { if case .int(let i)? = $0.fields["seq"] { return Int(i) }; return nil }
}

private func write(_ w: DeadLetterWriter, _ range: Range<Int>) {
    for i in range { w.write(entry(i), pluginType: "elasticsearch", pluginId: "es", reason: "bad \(i)") }
    _ = w.flush()
}

private func segmentFiles(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains(".log") }.sorted()
}

@Suite("dead_letter_queue input", .timeLimit(.minutes(1)))
struct DeadLetterQueueInputTests {
    @Test func rejectedEventsComeBackWithTheirTypesMetadataAndTheDeadLetterFields() async throws {
        let d = try TempDir("dlq-input")
        defer { d.remove() }
        let writer = try DeadLetterWriter(directory: d("dlq/main"), settings: enabled(), logger: log)
        var first = dlqHarness(d)
        first.deadLetterQueue = writer
        let originals = (0..<6).map { i -> Event in
            var e = entry(i)
            e.fields.set("reject", .bool(i % 2 == 0))
            e.fields.set("f", .double(Double(i) + 0.5))
            e.fields.set("t", .timestamp(Timestamp(milliseconds: 1_700_000_000_000 + Int64(i))))
            e.fields.set("@metadata", ["index": .string("logs-\(i)")])
            return e
        }
        let wrote = try await first.run(#"output { reject_flagged { id => "es_out" } }"#, events: originals)
        #expect(wrote.acks == [.delivered])
        writer.close()

        let second = try dlqHarness(d).start(#"input { dead_letter_queue { path => "\#(d("dlq"))" commit_offsets => false } }"#)
        #expect(await second.waitUntil { $0.events.count >= 3 })
        second.stop()
        let got = try await second.finish().events
        #expect(seqs(got) == [0, 2, 4])
        for (e, original) in zip(got, [originals[0], originals[2], originals[4]]) {
            var expected = original
            #expect(e[field: "[@metadata][index]"] == original[field: "[@metadata][index]"])
            #expect(e[field: "[@metadata][dead_letter_queue][plugin_type]"] == "reject_flagged")
            #expect(e[field: "[@metadata][dead_letter_queue][plugin_id]"] == "es_out")
            #expect(e[field: "[@metadata][dead_letter_queue][reason]"] == .string("flagged: \(original.message ?? "")"))
            guard case .timestamp? = e[field: "[@metadata][dead_letter_queue][entry_time]"] else {
                Issue.record("entry_time is not a timestamp")
                continue
            }
            // Apart from the added metadata, the event is the one the output rejected.
            var meta = expected.fields["@metadata"]?.objectValue ?? FieldMap()
            meta.set("dead_letter_queue", e[field: "[@metadata][dead_letter_queue]"] ?? .null)
            expected.fields.set("@metadata", .object(meta))
            #expect(e == expected)
        }
    }

    @Test func committedOffsetsAreNotReadAgainAfterARestart() async throws {
        let d = try TempDir("dlq-input")
        defer { d.remove() }
        let writer = try DeadLetterWriter(directory: d("dlq/main"), settings: enabled(), logger: log)
        defer { writer.close() }
        write(writer, 0..<3)
        let config = #"input { dead_letter_queue { path => "\#(d("dlq"))" } }"#

        let first = try dlqHarness(d).start(config)
        #expect(await first.waitUntil { $0.events.count >= 3 })
        first.stop()
        #expect(seqs(try await first.finish().events) == [0, 1, 2])
        let stateDir = d("data/plugins/inputs/dead_letter_queue/main")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: stateDir))?.contains { $0.hasPrefix("last_commit_offset") } == true)

        write(writer, 3..<5)
        let second = try dlqHarness(d).start(config)
        #expect(await second.waitUntil { $0.events.count >= 2 })
        try await Task.sleep(for: .milliseconds(300))
        second.stop()
        #expect(seqs(try await second.finish().events) == [3, 4])

        let third = try dlqHarness(d).start(config)
        try await Task.sleep(for: .milliseconds(300))
        third.stop()
        #expect(try await third.finish().events.isEmpty)

        // Without commit_offsets everything is read again.
        let again = try dlqHarness(d).start(#"input { dead_letter_queue { path => "\#(d("dlq"))" commit_offsets => false } }"#)
        #expect(await again.waitUntil { $0.events.count >= 5 })
        again.stop()
        #expect(seqs(try await again.finish().events) == [0, 1, 2, 3, 4])
    }

    @Test func startTimestampSkipsOlderEntries() async throws {
        let d = try TempDir("dlq-input")
        defer { d.remove() }
        let writer = try DeadLetterWriter(directory: d("dlq/main"), settings: enabled(), logger: log)
        defer { writer.close() }
        write(writer, 0..<3)
        try await Task.sleep(for: .milliseconds(50))
        let cut = Timestamp.now()
        try await Task.sleep(for: .milliseconds(20))
        write(writer, 3..<6)
        let run = try dlqHarness(d).start(
            #"input { dead_letter_queue { path => "\#(d("dlq"))" start_timestamp => "\#(cut.iso8601)" } }"#)
        #expect(await run.waitUntil { $0.events.count >= 3 })
        try await Task.sleep(for: .milliseconds(200))
        run.stop()
        #expect(seqs(try await run.finish().events) == [3, 4, 5])
    }

    @Test func itFollowsNewEntriesUntilStopped() async throws {
        let d = try TempDir("dlq-input")
        defer { d.remove() }
        // Started before the queue even exists.
        let run = try dlqHarness(d).start(#"input { dead_letter_queue { path => "\#(d("dlq"))" pipeline_id => "ingest" } }"#)
        try await Task.sleep(for: .milliseconds(150))
        let w1 = try DeadLetterWriter(directory: d("dlq/ingest"), settings: enabled { $0.segmentCapacity = 512 }, logger: log)
        write(w1, 0..<2)
        #expect(await run.waitUntil { $0.events.count >= 2 })
        write(w1, 2..<10)  // rolls segments while being read
        #expect(await run.waitUntil { $0.events.count >= 10 })
        w1.close()
        let w2 = try DeadLetterWriter(directory: d("dlq/ingest"), settings: enabled(), logger: log)
        write(w2, 10..<12)
        #expect(await run.waitUntil { $0.events.count >= 12 })
        w2.close()
        run.stop()
        #expect(seqs(try await run.finish().events) == Array(0..<12))
    }

    @Test func cleanConsumedDeletesAcknowledgedSealedSegmentsButNotTheHead() async throws {
        let d = try TempDir("dlq-input")
        defer { d.remove() }
        let writer = try DeadLetterWriter(directory: d("dlq/main"), settings: enabled { $0.segmentCapacity = 512 }, logger: log)
        defer { writer.close() }
        write(writer, 0..<20)
        let before = segmentFiles(d("dlq/main"))
        #expect(before.count > 2)
        #expect(before.filter { $0.hasSuffix(".tmp") }.count == 1)
        let run = try dlqHarness(d).start(#"input { dead_letter_queue { path => "\#(d("dlq"))" clean_consumed => true } }"#)
        #expect(await run.waitUntil { $0.events.count >= 20 })
        run.stop()
        #expect(seqs(try await run.finish().events) == Array(0..<20))
        let after = segmentFiles(d("dlq/main"))
        #expect(after.count == 1 && after.first?.hasSuffix(".log.tmp") == true, "left: \(after)")
    }

    @Test func aTornEntryIsSkippedAndTheRestIsRead() async throws {
        let d = try TempDir("dlq-input")
        defer { d.remove() }
        let w1 = try DeadLetterWriter(directory: d("dlq/main"), settings: enabled(), logger: log)
        write(w1, 0..<5)
        w1.close()
        let segment = d("dlq/main/1.log")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: segment))
        try h.truncate(atOffset: UInt64(size - 4))
        try h.close()
        let w2 = try DeadLetterWriter(directory: d("dlq/main"), settings: enabled(), logger: log)
        write(w2, 5..<7)
        w2.close()
        let run = try dlqHarness(d).start(#"input { dead_letter_queue { path => "\#(d("dlq"))" } }"#)
        #expect(await run.waitUntil { $0.events.count >= 6 })
        try await Task.sleep(for: .milliseconds(200))
        run.stop()
        #expect(seqs(try await run.finish().events) == [0, 1, 2, 3, 5, 6])
    }

    @Test func eventsRejectedAgainAreNotWrittenBackToTheQueue() async throws {
        let d = try TempDir("dlq-input")
        defer { d.remove() }
        let w1 = try DeadLetterWriter(directory: d("dlq/main"), settings: enabled(), logger: log)
        for i in 0..<3 {
            var e = entry(i)
            e.fields.set("reject", .bool(true))
            w1.write(e, pluginType: "reject_flagged", pluginId: "out", reason: "flagged")
        }
        w1.close()
        // Reading its own dead-letter queue and failing again must not loop.
        let w2 = try DeadLetterWriter(directory: d("dlq/main"), settings: enabled(), logger: log)
        var h = dlqHarness(d)
        h.deadLetterQueue = w2
        let run = try h.start("""
            input { dead_letter_queue { path => "\(d("dlq"))" } }
            output { reject_flagged { } }
            """)
        #expect(await run.waitUntil { $0.deadLetters.count >= 3 })
        run.stop()
        _ = try await run.finish()
        w2.close()
        #expect(w2.stats.skippedReprocessed == 3)
        #expect(w2.stats.written == 0)
    }

    @Test func badSettingsAreConfigErrors() throws {
        let d = try TempDir("dlq-input")
        defer { d.remove() }
        let h = dlqHarness(d)
        let clean = h.check(#"input { dead_letter_queue { path => "/x" commit_offsets => false clean_consumed => true } }"#)
        #expect("\(clean.map { "\($0)" } ?? "")".contains("clean_consumed"))
        let time = h.check(#"input { dead_letter_queue { path => "/x" start_timestamp => "yesterday" } }"#)
        #expect("\(time.map { "\($0)" } ?? "")".contains("ISO8601"))
        let missing = h.check(#"input { dead_letter_queue { } }"#)
        #expect("\(missing.map { "\($0)" } ?? "")".contains("path"))
        #expect(h.check(#"input { dead_letter_queue { path => "/x" start_timestamp => "2017-04-04T23:40:37" } }"#) == nil)
    }
}
