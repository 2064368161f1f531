@testable import SluiceCore
import SluiceTesting
import Synchronization
import Testing

private func events(_ range: Range<Int>) -> [Event] {
    range.map { i in
        var e = Event(message: "e\(i)")
        e.fields.set("seq", .int(Int64(i)))
        return e
    }
}

private func seqs(_ events: [Event]) -> [Int] { events.compactMap(\.seq) }


/// Collects acknowledgement callbacks.
final class AckRecorder: Sendable {
    private let statuses = Mutex<[AckStatus]>([])
    var all: [AckStatus] { statuses.withLock { $0 } }
    var callback: @Sendable (AckStatus) -> Void { { s in self.statuses.withLock { $0.append(s) } } }
}

final class Flag: Sendable {
    private let state = Mutex(false)
    var isSet: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
}

@Suite("MemoryQueue", .timeLimit(.minutes(1)))
struct QueueMemoryTests {
    @Test func pushBeyondCapacityWaitsForAPopAndDropsNothing() async throws {
        let queue = MemoryQueue(capacity: 10)
        try await queue.push(events(0..<10), ack: nil)
        let returned = Flag()
        let pusher = Task {
            try await queue.push(events(10..<15), ack: nil)
            returned.set()
        }
        // A correct queue never lets this push through before a pop, however long we wait.
        try await Task.sleep(for: .milliseconds(150))
        #expect(!returned.isSet, "push did not wait while the queue was full")

        let first = try #require(await queue.pop(maxEvents: 10, maxDelay: .milliseconds(1)))
        #expect(seqs(first.events) == Array(0..<10))
        #expect(await eventually { returned.isSet }, "push still waiting after a pop freed room")
        try await pusher.value

        let second = try #require(await queue.pop(maxEvents: 10, maxDelay: .milliseconds(1)))
        #expect(seqs(second.events) == Array(10..<15))
    }

    @Test func manyProducersThroughASmallQueueLoseNothing() async throws {
        let queue = MemoryQueue(capacity: 8)
        let consumer = Task {
            var got: [Int] = []
            while let b = await queue.pop(maxEvents: 7, maxDelay: .milliseconds(1)) { got += seqs(b.events) }
            return got
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 0..<4 {
                group.addTask {
                    for c in 0..<50 {
                        let base = p * 1000 + c * 5
                        try await queue.push(events(base..<(base + 5)), ack: nil)
                    }
                }
            }
            try await group.waitForAll()
        }
        queue.close()
        let got = await consumer.value
        #expect(got.count == 4 * 50 * 5)
        #expect(Set(got).count == got.count)
        // Each producer's events stay in its own order.
        for p in 0..<4 {
            let mine = got.filter { $0 / 1000 == p }
            #expect(mine == mine.sorted())
        }
    }

    @Test func popDrainsAfterCloseThenReturnsNil() async throws {
        let queue = MemoryQueue(capacity: 100)
        try await queue.push(events(0..<3), ack: nil)
        try await queue.push(events(3..<5), ack: nil)
        queue.close()
        var got: [Int] = []
        while let b = await queue.pop(maxEvents: 4, maxDelay: .milliseconds(1)) { got += seqs(b.events) }
        #expect(got == Array(0..<5))
        #expect(await queue.pop(maxEvents: 4, maxDelay: .milliseconds(1)) == nil)
    }

    @Test func closeWakesAWaitingPop() async throws {
        let queue = MemoryQueue(capacity: 100)
        let popper = Task { await queue.pop(maxEvents: 10, maxDelay: .milliseconds(1)) }
        try await Task.sleep(for: .milliseconds(50))
        queue.close()
        #expect(await popper.value == nil)
    }

    @Test func batchesNeverExceedBatchSizeWhenChunksFit() async throws {
        let queue = MemoryQueue(capacity: 10_000)
        let sizes = [3, 4, 5, 2, 7, 1, 10, 9, 1, 1, 6, 4, 8, 2, 3, 10, 5, 5]
        var next = 0
        for n in sizes {
            try await queue.push(events(next..<(next + n)), ack: nil)
            next += n
        }
        queue.close()
        var got: [Int] = []
        var batches = 0
        while let b = await queue.pop(maxEvents: 10, maxDelay: .milliseconds(1)) {
            #expect(b.events.count <= 10, "batch of \(b.events.count)")
            #expect(!b.events.isEmpty)
            got += seqs(b.events)
            batches += 1
        }
        #expect(got == Array(0..<next))
        // Whole chunks are combined: fewer batches than chunks.
        #expect(batches < sizes.count)
    }

    @Test func aChunkLargerThanTheBatchIsTakenWhole() async throws {
        let queue = MemoryQueue(capacity: 100)
        try await queue.push(events(0..<15), ack: nil)
        try await queue.push(events(15..<17), ack: nil)
        queue.close()
        let b = try #require(await queue.pop(maxEvents: 10, maxDelay: .milliseconds(1)))
        #expect(seqs(b.events) == Array(0..<15))
        let c = try #require(await queue.pop(maxEvents: 10, maxDelay: .milliseconds(1)))
        #expect(seqs(c.events) == [15, 16])
    }

    @Test func aPartialBatchIsReturnedAfterTheDelay() async throws {
        let queue = MemoryQueue(capacity: 100)
        try await queue.push(events(0..<3), ack: nil)
        // Not closed, not full: pop must still return within (about) maxDelay.
        let b = try #require(await queue.pop(maxEvents: 125, maxDelay: .milliseconds(20)))
        #expect(seqs(b.events) == [0, 1, 2])
    }

    @Test func pushAfterCloseThrowsQueueClosedError() async throws {
        let queue = MemoryQueue(capacity: 10)
        queue.close()
        await #expect(throws: QueueClosedError.self) { try await queue.push(events(0..<1), ack: nil) }
    }

    @Test func aPushWaitingForRoomThrowsWhenTheQueueCloses() async throws {
        let queue = MemoryQueue(capacity: 2)
        try await queue.push(events(0..<2), ack: nil)
        let pusher = Task { try await queue.push(events(2..<4), ack: nil) }
        try await Task.sleep(for: .milliseconds(50))
        queue.close()
        await #expect(throws: QueueClosedError.self) { try await pusher.value }
    }
}

@Suite("Acknowledgement")
struct AcknowledgementTests {
    @Test func droppedWithoutCompletingReportsFailed() {
        let r = AckRecorder()
        do { _ = Acknowledgement(pieces: 1, callback: r.callback) }
        #expect(r.all == [.failed])
    }

    @Test func aPartlyCompletedAcknowledgementThatIsDroppedReportsFailedOnce() {
        let r = AckRecorder()
        do {
            let ack = Acknowledgement(pieces: 2, callback: r.callback)
            ack.complete(.delivered)
            #expect(r.all.isEmpty, "fired before every piece completed")
        }
        #expect(r.all == [.failed])
    }

    @Test func resolvesOnceAfterEveryPiece() {
        let r = AckRecorder()
        do {
            let ack = Acknowledgement(pieces: 3, callback: r.callback)
            ack.complete(.delivered)
            ack.complete(.delivered)
            #expect(r.all.isEmpty)
            ack.complete(.delivered)
        }
        #expect(r.all == [.delivered], "exactly one .delivered, and none from deinit")
    }

    @Test func oneFailedPieceFailsTheWhole() {
        let r = AckRecorder()
        let ack = Acknowledgement(pieces: 2, callback: r.callback)
        ack.complete(.failed)
        ack.complete(.delivered)
        #expect(r.all == [.failed])
    }

    @Test func eventsLeftInADiscardedQueueAreReportedFailed() async throws {
        let r = AckRecorder()
        do {
            let queue = MemoryQueue(capacity: 10)
            try await queue.push(events(0..<3), ack: Acknowledgement(pieces: 1, callback: r.callback))
            queue.close()
        }
        #expect(await eventually { r.all == [.failed] })
    }

    @Test func aBatchResolvesTheAcknowledgementsOfEveryChunkInIt() async throws {
        let a = AckRecorder(), b = AckRecorder()
        let queue = MemoryQueue(capacity: 10)
        try await queue.push(events(0..<2), ack: Acknowledgement(pieces: 1, callback: a.callback))
        try await queue.push(events(2..<4), ack: Acknowledgement(pieces: 1, callback: b.callback))
        let batch = try #require(await queue.pop(maxEvents: 10, maxDelay: .milliseconds(1)))
        #expect(batch.events.count == 4)
        #expect(a.all.isEmpty && b.all.isEmpty)
        batch.resolve(.delivered)
        #expect(a.all == [.delivered])
        #expect(b.all == [.delivered])
    }

    @Test func aSendCutShortByShutdownReportsFailedOnce() async throws {
        let r = AckRecorder()
        let queue = MemoryQueue(capacity: 2)
        let sink = EventSink(queue: queue, decoration: InputDecoration(), batchSize: 2)
        // Eight events in pieces of two through a queue that holds two: after two pops the
        // third piece fills the queue and the fourth must wait, so closing cuts the send short.
        let sender = Task { try await sink.send(events(0..<8), acknowledged: r.callback) }
        let first = try #require(await queue.pop(maxEvents: 2, maxDelay: .milliseconds(1)))
        let second = try #require(await queue.pop(maxEvents: 2, maxDelay: .milliseconds(1)))
        #expect(seqs(first.events + second.events) == [0, 1, 2, 3])
        queue.close()
        await #expect(throws: QueueClosedError.self) { try await sender.value }
        #expect(r.all.isEmpty, "fired while popped pieces were still pending")
        first.resolve(.delivered)
        second.resolve(.delivered)
        while let rest = await queue.pop(maxEvents: 2, maxDelay: .milliseconds(1)) { rest.resolve(.delivered) }
        #expect(r.all == [.failed])
    }

    @Test func aFlushHandsOnAPartialBatchAtOnceAndTheNextPushEndsIt() async throws {
        let queue = MemoryQueue(capacity: 100)
        let clock = ContinuousClock()
        // Flushed: three events of a 50-event batch come out long before the 30 s delay.
        try await queue.push(events(0..<3), ack: nil)
        queue.flush()
        var start = clock.now
        let flushed = try #require(await queue.pop(maxEvents: 50, maxDelay: .seconds(30)))
        #expect(seqs(flushed.events) == [0, 1, 2])
        #expect(clock.now - start < .seconds(10), "a flushed partial batch still waited for the delay")

        // A push after the flush: the batch delay applies again.
        try await queue.push(events(3..<5), ack: nil)
        start = clock.now
        let delayed = try #require(await queue.pop(maxEvents: 50, maxDelay: .milliseconds(300)))
        #expect(seqs(delayed.events) == [3, 4])
        #expect(clock.now - start >= .milliseconds(250), "the flush outlived the next push")
    }

    @Test func aFlushOfAnEmptyQueueHandsOutNothing() async throws {
        let queue = MemoryQueue(capacity: 100)
        queue.flush()
        let popped = Flag()
        let popper = Task {
            let b = await queue.pop(maxEvents: 50, maxDelay: .seconds(30))
            popped.set()
            return b.map { seqs($0.events) }
        }
        try await Task.sleep(for: .milliseconds(150))
        #expect(!popped.isSet, "pop returned from an empty queue that was only flushed")
        let sink = EventSink(queue: queue, decoration: InputDecoration(), batchSize: 50)
        try await sink.send(events(0..<2))
        sink.flush()
        #expect(await popper.value == [0, 1])
    }
}
