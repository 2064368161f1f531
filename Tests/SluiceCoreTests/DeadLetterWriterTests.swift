import Foundation
@testable import SluiceCore
import Testing

let dlqLog = Logger(label: "test.dlq")

func dlqTempDir() throws -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-dlq-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

func dlqSettings(_ tweak: (inout DeadLetterQueueSettings) -> Void = { _ in }) -> DeadLetterQueueSettings {
    var s = DeadLetterQueueSettings()
    s.enabled = true
    tweak(&s)
    return s
}

/// Every entry of a queue directory, from the start.
func dlqReadAll(_ dir: String) -> (entries: [DeadLetterEntry], reader: DeadLetterReader) {
    let r = DeadLetterReader(directory: dir, from: nil, logger: dlqLog)
    var all: [DeadLetterEntry] = []
    while true {
        let got = r.read(max: 100)
        if got.isEmpty { break }
        all += got
    }
    return (all, r)
}

func dlqFiles(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".log") || $0.hasSuffix(".tmp") }.sorted()
}

func dlqEvent(_ i: Int) -> Event {
    var e = Event(message: "e\(i)")
    e.fields.set("seq", .int(Int64(i)))
    return e
}

@Suite(.timeLimit(.minutes(1))) struct DeadLetterWriterTests {
    @Test func anEntryKeepsItsEventTypesMetadataAndWhoRejectedItWhy() throws {
        let dir = try dlqTempDir()
        let w = try DeadLetterWriter(directory: dir, settings: dlqSettings(), logger: dlqLog)
        var e = Event(message: "hello")
        e.fields.set("n", 42)
        e.fields.set("f", 1.5)
        e.fields.set("t", .timestamp(Timestamp(milliseconds: 1_700_000_000_123)))
        e.fields.set("nested", ["a": [1, "x", nil, true]])
        e.fields.set("@metadata", ["index": "logs-1"])
        let before = Timestamp.now()
        #expect(w.write(e, pluginType: "elasticsearch", pluginId: "es1", reason: "mapper_parsing_exception"))
        #expect(w.flush())
        // The head is a .tmp segment until sealed, as in Logstash.
        #expect(dlqFiles(dir) == ["1.log.tmp"])
        w.close()
        #expect(dlqFiles(dir) == ["1.log"])
        let entries = dlqReadAll(dir).entries
        #expect(entries.count == 1)
        let got = try #require(entries.first)
        #expect(got.event == e)
        #expect(got.pluginType == "elasticsearch")
        #expect(got.pluginId == "es1")
        #expect(got.reason == "mapper_parsing_exception")
        #expect(got.entryTime >= before && got.entryTime <= .now())
        #expect(w.stats.written == 1)
        #expect(!w.write(e, pluginType: "x", pluginId: "y", reason: "z"), "a closed writer refuses entries")
    }

    @Test func segmentsRollAtTheirCapacityAndNumbersGoOnAfterARestart() throws {
        let dir = try dlqTempDir()
        let w = try DeadLetterWriter(directory: dir, settings: dlqSettings { $0.segmentCapacity = 1024 }, logger: dlqLog)
        for i in 0..<40 { w.write(dlqEvent(i), pluginType: "t", pluginId: "p", reason: "r") }
        w.close()
        let first = dlqFiles(dir)
        #expect(first.count > 3)
        #expect(first.allSatisfy { $0.hasSuffix(".log") })
        let w2 = try DeadLetterWriter(directory: dir, settings: dlqSettings(), logger: dlqLog)
        w2.write(dlqEvent(40), pluginType: "t", pluginId: "p", reason: "r")
        w2.close()
        #expect(dlqFiles(dir).contains("\(first.count + 1).log"))
        #expect(dlqReadAll(dir).entries.compactMap { $0.event.fields["seq"] } == (0...40).map { Value.int(Int64($0)) })
    }

    @Test func anIdleHeadIsSealedAfterTheFlushInterval() async throws {
        let dir = try dlqTempDir()
        let w = try DeadLetterWriter(directory: dir, settings: dlqSettings { $0.flushInterval = 50 }, logger: dlqLog)
        defer { w.close() }
        w.write(dlqEvent(0), pluginType: "t", pluginId: "p", reason: "r")
        #expect(dlqFiles(dir) == ["1.log.tmp"])
        #expect(await dlqWait { dlqFiles(dir) == ["1.log"] })
        w.write(dlqEvent(1), pluginType: "t", pluginId: "p", reason: "r")
        #expect(dlqFiles(dir) == ["1.log", "2.log.tmp"])
    }

    @Test func dropNewerRefusesEntriesOnceFullAndCountsThem() throws {
        let dir = try dlqTempDir()
        let w = try DeadLetterWriter(directory: dir, settings: dlqSettings { $0.maxBytes = 2048; $0.storagePolicy = .dropNewer },
                                     logger: dlqLog)
        for i in 0..<60 { #expect(w.write(dlqEvent(i), pluginType: "t", pluginId: "p", reason: "r")) }
        w.close()
        let stats = w.stats
        #expect(stats.droppedNewer > 0)
        #expect(stats.droppedOlder == 0)
        #expect(stats.written + stats.droppedNewer == 60)
        #expect(stats.bytes <= 2048)
        #expect(dlqDiskBytes(dir) <= 2048)
        // The oldest entries were kept.
        let seqs = dlqReadAll(dir).entries.compactMap { $0.event.fields["seq"] }
        #expect(seqs == (0..<stats.written).map { Value.int(Int64($0)) })
    }

    @Test func dropOlderDeletesTheOldestSegmentsAndCountsTheirEntries() throws {
        let dir = try dlqTempDir()
        let w = try DeadLetterWriter(directory: dir, settings: dlqSettings { $0.maxBytes = 2048; $0.storagePolicy = .dropOlder },
                                     logger: dlqLog)
        for i in 0..<60 { #expect(w.write(dlqEvent(i), pluginType: "t", pluginId: "p", reason: "r")) }
        w.close()
        let stats = w.stats
        #expect(stats.droppedOlder > 0)
        #expect(stats.droppedNewer == 0)
        #expect(dlqDiskBytes(dir) <= 2048)
        let seqs = dlqReadAll(dir).entries.compactMap { e -> Int? in if case .int(let i)? = e.event.fields["seq"] { return Int(i) }; return nil }
        // The newest entries were kept, contiguous up to the last one.
        #expect(seqs.last == 59)
        #expect(seqs == Array((60 - seqs.count)..<60))
        #expect(stats.droppedOlder + seqs.count == 60)
    }

    @Test func segmentsOlderThanRetainAgeAreDeletedOnOpen() throws {
        let dir = try dlqTempDir()
        let w = try DeadLetterWriter(directory: dir, settings: dlqSettings { $0.segmentCapacity = 512 }, logger: dlqLog)
        for i in 0..<20 { w.write(dlqEvent(i), pluginType: "t", pluginId: "p", reason: "r") }
        w.close()
        let segs = dlqFiles(dir)
        #expect(segs.count >= 3)
        // The first two segments are two days old.
        let old = Date().addingTimeInterval(-2 * 86400)
        for name in ["1.log", "2.log"] {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: dir + "/" + name)
        }
        let inFirstTwo = dlqReadAll(dir).entries.filter { $0.end.segment <= 2 }.count
        let w2 = try DeadLetterWriter(directory: dir, settings: dlqSettings { $0.retainAge = 86400 }, logger: dlqLog)
        w2.close()
        #expect(!dlqFiles(dir).contains("1.log") && !dlqFiles(dir).contains("2.log"))
        #expect(dlqFiles(dir).count == segs.count - 2)
        #expect(w2.stats.expired == inFirstTwo)
    }

    @Test func segmentsExpireWhileRunning() async throws {
        let dir = try dlqTempDir()
        let w = try DeadLetterWriter(directory: dir, settings: dlqSettings { $0.retainAge = 0.3; $0.flushInterval = 50 }, logger: dlqLog)
        defer { w.close() }
        for i in 0..<3 { w.write(dlqEvent(i), pluginType: "t", pluginId: "p", reason: "r") }
        #expect(await dlqWait { w.stats.expired == 3 })
        #expect(dlqFiles(dir).isEmpty)
        #expect(w.stats.bytes == 0)
    }

    @Test func aTornLastEntryIsSkippedAndReportedAndReadingGoesOn() throws {
        let dir = try dlqTempDir()
        let w = try DeadLetterWriter(directory: dir, settings: dlqSettings(), logger: dlqLog)
        for i in 0..<5 { w.write(dlqEvent(i), pluginType: "t", pluginId: "p", reason: "r") }
        w.close()
        let path = dir + "/1.log"
        let size = try #require(DeadLetterSegment.fileSize(path))
        #expect(truncate(path, off_t(size - 3)) == 0)
        // A later run writes a second segment: the reader skips the torn tail and continues there.
        let w2 = try DeadLetterWriter(directory: dir, settings: dlqSettings(), logger: dlqLog)
        w2.write(dlqEvent(5), pluginType: "t", pluginId: "p", reason: "r")
        w2.close()
        let (entries, reader) = dlqReadAll(dir)
        #expect(entries.compactMap { $0.event.fields["seq"] } == [0, 1, 2, 3, 5].map { Value.int($0) })
        #expect(reader.skipped == 1)
        #expect(reader.skippedBytes > 0)
    }

    @Test func aHeadLeftByACrashLosesOnlyItsTornEntryAndIsSealedOnOpen() throws {
        let dir = try dlqTempDir(), crashed = try dlqTempDir()
        let w = try DeadLetterWriter(directory: dir, settings: dlqSettings(), logger: dlqLog)
        for i in 0..<5 { w.write(dlqEvent(i), pluginType: "t", pluginId: "p", reason: "r") }
        #expect(w.flush())
        // What a crash mid-write leaves: the unsealed head with half an entry at its end.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/1.log.tmp"))
        bytes.removeLast(5)
        try bytes.write(to: URL(fileURLWithPath: crashed + "/1.log.tmp"))
        w.close()
        let w2 = try DeadLetterWriter(directory: crashed, settings: dlqSettings(), logger: dlqLog)
        #expect(w2.recovery.sealedSegments == 1)
        #expect(w2.recovery.tornBytes > 0)
        #expect(dlqFiles(crashed) == ["1.log"])
        w2.write(dlqEvent(5), pluginType: "t", pluginId: "p", reason: "r")
        w2.close()
        let (entries, reader) = dlqReadAll(crashed)
        #expect(entries.compactMap { $0.event.fields["seq"] } == [0, 1, 2, 3, 5].map { Value.int($0) })
        #expect(reader.skipped == 0, "the torn bytes were cut off on open")
    }

    @Test func fourConcurrentWritersLoseAndDuplicateNothing() async throws {
        let dir = try dlqTempDir()
        let w = try DeadLetterWriter(directory: dir, settings: dlqSettings { $0.segmentCapacity = 16 * 1024 }, logger: dlqLog)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for i in 0..<250 {
                        var e = dlqEvent(i)
                        e.fields.set("writer", .int(Int64(writer)))
                        w.write(e, pluginType: "t", pluginId: "out\(writer)", reason: "r")
                        if i % 10 == 0 { _ = w.flush() }
                    }
                }
            }
        }
        #expect(w.flush())
        w.close()
        let entries = dlqReadAll(dir).entries
        #expect(entries.count == 1000)
        #expect(dlqFiles(dir).count > 1, "segments rolled while writers raced")
        for writer in 0..<4 {
            let mine = entries.filter { $0.pluginId == "out\(writer)" }
            #expect(mine.compactMap { $0.event.fields["seq"] } == (0..<250).map { Value.int(Int64($0)) }, "writer \(writer)")
            #expect(mine.allSatisfy { $0.event.fields["writer"] == .int(Int64(writer)) })
        }
    }

    @Test func eventsThatCameOutOfADeadLetterQueueAreNotWrittenAgain() throws {
        let dir = try dlqTempDir()
        let w = try DeadLetterWriter(directory: dir, settings: dlqSettings(), logger: dlqLog)
        var e = dlqEvent(0)
        e.fields.set("@metadata", ["dead_letter_queue": ["plugin_id": "es1"]])
        #expect(w.write(e, pluginType: "t", pluginId: "p", reason: "r"))
        w.close()
        #expect(w.stats.skippedReprocessed == 1)
        #expect(w.stats.written == 0)
        #expect(dlqReadAll(dir).entries.isEmpty)
    }

    @Test func aSecondWriterOnTheSameDirectoryIsRefused() throws {
        let dir = try dlqTempDir()
        let w = try DeadLetterWriter(directory: dir, settings: dlqSettings(), logger: dlqLog)
        #expect(throws: DeadLetterWriter.Failure.self) { try DeadLetterWriter(directory: dir, settings: dlqSettings(), logger: dlqLog) }
        w.close()
        let again = try DeadLetterWriter(directory: dir, settings: dlqSettings(), logger: dlqLog)
        again.close()
    }

    @Test func theReaderFollowsTheHeadAcrossRolls() throws {
        let dir = try dlqTempDir()
        let w = try DeadLetterWriter(directory: dir, settings: dlqSettings { $0.segmentCapacity = 512 }, logger: dlqLog)
        defer { w.close() }
        let r = DeadLetterReader(directory: dir, from: nil, logger: dlqLog)
        #expect(r.read(max: 10).isEmpty, "nothing yet")
        var seen: [Value] = []
        for round in 0..<5 {
            for i in 0..<7 { w.write(dlqEvent(round * 7 + i), pluginType: "t", pluginId: "p", reason: "r") }
            while true {
                let got = r.read(max: 3)
                if got.isEmpty { break }
                seen += got.compactMap { $0.event.fields["seq"] }
            }
            #expect(seen.count == (round + 1) * 7)
        }
        #expect(seen == (0..<35).map { Value.int(Int64($0)) })
        #expect(r.skipped == 0)
        // A reader started at a committed position resumes right after it.
        let resumeAt = dlqReadAll(dir).entries[20].end
        let resumed = DeadLetterReader(directory: dir, from: resumeAt, logger: dlqLog).read(max: 100)
        #expect(resumed.first?.event.fields["seq"] == .int(21))
        #expect(resumed.count == 14)
    }
}

func dlqDiskBytes(_ dir: String) -> Int {
    dlqFiles(dir).reduce(0) { $0 + (DeadLetterSegment.fileSize(dir + "/" + $1) ?? 0) }
}

func dlqWait(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
