import Foundation
@testable import SluiceCore
import SluiceTesting
import Synchronization
import Testing

private func tempQueueDir() throws -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-pq-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

private func seqEvents(_ range: Range<Int>) -> [Event] {
    range.map { i in
        var e = Event(message: "e\(i)")
        e.fields.set("seq", .int(Int64(i)))
        e.fields.set("@metadata", .object({ var m = FieldMap(); m.set("route", .string("r\(i % 3)")); return m }()))
        return e
    }
}

private func queueSettings(_ tweak: (inout QueueSettings) -> Void = { _ in }) -> QueueSettings {
    var s = QueueSettings()
    s.type = "persisted"
    s.checkpointWrites = 16
    s.checkpointAcks = 16
    s.checkpointInterval = 50
    tweak(&s)
    return s
}

private let log = Logger(label: "test.pq")

@Suite(.timeLimit(.minutes(1))) struct PersistentQueueTests {
    @Test func eventsRoundTripWithTypesAndMetadata() async throws {
        let dir = try tempQueueDir()
        let q = try PersistentQueue(directory: dir, settings: queueSettings(), logger: log)
        var e = Event(message: "hello")
        e.fields.set("n", 42)
        e.fields.set("f", 1.5)
        e.fields.set("t", .timestamp(Timestamp(milliseconds: 1_700_000_000_123)))
        e.fields.set("nested", ["a": [1, "x", nil, true]])
        e.fields.set("@metadata", ["k": "v"])
        try await q.push([e], ack: nil)
        let batch = try #require(await q.pop(maxEvents: 10, maxDelay: .zero))
        #expect(batch.events == [e])
    }

    /// With no read cache every event is read back from its page and decoded.
    @Test func eventsReadFromThePageRoundTripWithTypesAndMetadata() async throws {
        let dir = try tempQueueDir()
        let q = try PersistentQueue(directory: dir, settings: queueSettings { $0.readCacheBytes = 0 }, logger: log)
        var e = Event(message: "héllo, a message longer than a small string")
        e.fields.set("n", 42)
        e.fields.set("f", 1.5)
        e.fields.set("b", false)
        e.fields.set("t", .timestamp(Timestamp(milliseconds: 1_700_000_000_123)))
        e.fields.set("nested", ["a": [1, "x", nil, true], "big": .string(String(repeating: "z", count: 1000))])
        e.fields.set("@metadata", ["k": "v"])
        try await q.push([e, e], ack: nil)
        let batch = try #require(await q.pop(maxEvents: 10, maxDelay: .zero))
        #expect(batch.events == [e, e])
    }

    /// Pushes beyond the read cache are read from disk; order and splitting across cached and
    /// uncached runs keep every event exactly once, in order.
    @Test func aBacklogBeyondTheReadCacheIsReadFromDiskInOrder() async throws {
        let dir = try tempQueueDir()
        let q = try PersistentQueue(directory: dir, settings: queueSettings { $0.readCacheBytes = 2000 }, logger: log)
        for i in 0..<20 { try await q.push(seqEvents((i * 10)..<(i * 10 + 10)), ack: nil) }
        var got: [Int] = []
        while q.counts.unread > 0, let b = await q.pop(maxEvents: 7, maxDelay: .zero) {
            got += b.events.compactMap { if case .int(let i)? = $0.fields["seq"] { return Int(i) } else { return nil } }
            #expect(b.events.allSatisfy { $0.fields["@metadata"] != nil })
            b.resolve(.delivered)
            try await q.push([], ack: nil)
        }
        #expect(got == Array(0..<200))
        #expect(q.counts.unacked == 0)
    }

    @Test func encodingIntoABufferTooSmallWritesNothingOutsideIt() {
        var e = Event(message: String(repeating: "m", count: 300))
        e.fields.set("a", [1, 2.5, "three"])
        var bytes: [UInt8] = []
        EventSerializer.encode(e, into: &bytes)  // grows its room as needed
        let small = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
        defer { small.deallocate() }
        #expect(EventSerializer.encode(e, into: small) == nil)
        #expect(bytes.withUnsafeBytes { (try? EventSerializer.decode($0)) } == e)
    }

    @Test func hardwareAndTableChecksumsAgree() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)  // the standard check value
        data.withUnsafeBytes { b in
            for n in [0, 1, 7, 8, 9, 63, 64, 65, 1000] {
                let part = UnsafeRawBufferPointer(rebasing: b[..<n])
                #expect(CRC32C.checksum(part, seed: 0x1234) == ~CRC32C.software(~0x1234, part))
            }
        }
    }

    @Test func inputAcknowledgementWaitsForDurability() async throws {
        let dir = try tempQueueDir()
        let q = try PersistentQueue(directory: dir, settings: queueSettings { $0.checkpointWrites = 1000; $0.checkpointInterval = 100_000 }, logger: log)
        let sink = DurabilityAcks()
        // Through EventSink, as inputs send: the acknowledgement fires at the checkpoint, not at write.
        try await q.push(seqEvents(0..<5), ack: sink.acknowledgement())
        #expect(sink.statuses.isEmpty)
        await q.finish()  // forces a checkpoint (fsync)
        #expect(sink.statuses == [.delivered])
    }

    @Test func unacknowledgedEventsComeBackAfterRestartAndAcknowledgedOnesDoNot() async throws {
        let dir = try tempQueueDir()
        do {
            let q = try PersistentQueue(directory: dir, settings: queueSettings(), logger: log)
            try await q.push(seqEvents(0..<100), ack: nil)
            let first = try #require(await q.pop(maxEvents: 40, maxDelay: .zero))
            #expect(first.events.count == 40)
            first.resolve(.delivered)
            _ = await q.pop(maxEvents: 30, maxDelay: .zero)  // taken but never acknowledged
            await q.finish()
        }
        let q2 = try PersistentQueue(directory: dir, settings: queueSettings(), logger: log)
        #expect(q2.recovery.unacked == 60)
        var seqs: [Int] = []
        while q2.counts.unread > 0, let b = await q2.pop(maxEvents: 25, maxDelay: .zero) {
            seqs += b.events.compactMap { if case .int(let i)? = $0.fields["seq"] { return Int(i) } else { return nil } }
            b.resolve(.delivered)
        }
        #expect(seqs == Array(40..<100))
        await q2.finish()
        let q3 = try PersistentQueue(directory: dir, settings: queueSettings(), logger: log)
        #expect(q3.recovery.unacked == 0)
    }

    @Test func fullyAcknowledgedPagesAreDeleted() async throws {
        let dir = try tempQueueDir()
        let q = try PersistentQueue(directory: dir, settings: queueSettings { $0.pageCapacity = 2048 }, logger: log)
        for i in 0..<20 { try await q.push(seqEvents((i * 10)..<(i * 10 + 10)), ack: nil) }
        let pagesBefore = q.counts.pages
        #expect(pagesBefore > 3)
        while q.counts.unread > 0, let b = await q.pop(maxEvents: 50, maxDelay: .zero) { b.resolve(.delivered) }
        #expect(q.counts.pages == 1)  // only the head remains
        #expect(q.counts.unacked == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("page.") }
        #expect(files.count == 1)
    }

    /// Torn-write test: cut the last record in half and corrupt nothing else; Sluice starts,
    /// reports the dropped bytes, and every checkpointed event is still there.
    @Test func tornTailIsCutAndNothingCheckpointedIsLost() async throws {
        let dir = try tempQueueDir()
        do {
            let q = try PersistentQueue(directory: dir, settings: queueSettings(), logger: log)
            try await q.push(seqEvents(0..<50), ack: nil)
            await q.finish()
        }
        let page = dir + "/page.1"
        let size = try #require(FileManager.default.attributesOfItem(atPath: page)[.size] as? Int)
        // Append half of a record (a torn write), as a crash during `write` would leave.
        let torn: [UInt8] = [0x40, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3]
        let h = try #require(FileHandle(forWritingAtPath: page))
        try h.seekToEnd()
        try h.write(contentsOf: Data(torn))
        try h.close()
        let report = QueueTools.describe(directory: dir)
        #expect(report.contains("\(torn.count) bad bytes"))
        let q2 = try PersistentQueue(directory: dir, settings: queueSettings(), logger: log)
        #expect(q2.recovery.tornBytes == torn.count)
        #expect(q2.recovery.unacked == 50)
        let after = try #require(FileManager.default.attributesOfItem(atPath: page)[.size] as? Int)
        #expect(after == size)
        var n = 0
        while q2.counts.unread > 0, let b = await q2.pop(maxEvents: 100, maxDelay: .zero) { n += b.events.count; b.resolve(.delivered) }
        #expect(n == 50)
    }

    @Test func corruptionInsideAPageStopsStartAndRepairCutsIt() async throws {
        let dir = try tempQueueDir()
        do {
            let q = try PersistentQueue(directory: dir, settings: queueSettings { $0.pageCapacity = 4096 }, logger: log)
            for i in 0..<10 { try await q.push(seqEvents((i * 10)..<(i * 10 + 10)), ack: nil) }
            await q.finish()
        }
        // Flip a byte in the middle of the first page (not its tail).
        let page = dir + "/page.1"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: page)))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: page))
        #expect(throws: PersistentQueue.Failure.self) { try PersistentQueue(directory: dir, settings: queueSettings(), logger: log) }
        let done = try QueueTools.repair(directory: dir)
        #expect(done.contains { $0.contains("cut page.1") && $0.contains("dropped") })
        let q = try PersistentQueue(directory: dir, settings: queueSettings(), logger: log)
        #expect(q.recovery.unacked > 0 && q.recovery.unacked < 100)
    }

    /// `queue.max_bytes` reached: the input waits (nothing dropped) and resumes when acks free pages.
    @Test func fullQueueSlowsTheInputAndLosesNothing() async throws {
        let dir = try tempQueueDir()
        let q = try PersistentQueue(directory: dir, settings: queueSettings { $0.pageCapacity = 1024; $0.maxBytes = 4096 }, logger: log)
        let pushed = PushCounter()
        let producer = Task {
            for i in 0..<40 {
                try await q.push(seqEvents((i * 5)..<(i * 5 + 5)), ack: nil)
                pushed.add(5)
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        // Blocked well before all 200 events were accepted.
        #expect(pushed.value < 200)
        #expect(q.counts.bytes <= 4096 + 1024)
        var got: [Int] = []
        while got.count < 200, let b = await q.pop(maxEvents: 7, maxDelay: .zero) {
            got += b.events.compactMap { if case .int(let i)? = $0.fields["seq"] { return Int(i) } else { return nil } }
            b.resolve(.delivered)
        }
        try await producer.value
        #expect(got == Array(0..<200))
    }

    /// A whole pipeline on the persistent queue: an output down for a while, all events arrive
    /// exactly once afterwards and the queue ends empty.
    @Test func outputDownThenUpDeliversEverything() async throws {
        let dir = try tempQueueDir()
        var h = PipelineHarness(registry: runtimeRegistry())
        h.settings.workers = 2
        let q = try PersistentQueue(directory: dir, settings: queueSettings { $0.maxEvents = 500 }, logger: log)
        let probe = Probe.make()
        let result = try await h.run("""
            input { probe_input { probe => "\(probe.id)" count => 3000 chunk => 100 } }
            output { flaky { probe => "\(probe.id)" failures => 8 } }
            """, queue: q)
        _ = result
        let written = probe.written(by: "flaky_1").sorted()
        #expect(written == Array(0..<3000))
        #expect(q.counts.unacked == 0)
    }
}

/// Collects input acknowledgements.
final class DurabilityAcks: Sendable {
    private let s = Mutex<[AckStatus]>([])
    var statuses: [AckStatus] { s.withLock { $0 } }
    func acknowledgement() -> Acknowledgement { Acknowledgement(pieces: 1) { st in self.s.withLock { $0.append(st) } } }
}

final class PushCounter: Sendable {
    private let n = Mutex(0)
    func add(_ k: Int) { n.withLock { $0 += k } }
    var value: Int { n.withLock { $0 } }
}
