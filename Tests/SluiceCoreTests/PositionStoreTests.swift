import SluiceTesting
import Foundation
import SluiceCore
import Synchronization
import Testing

private func scratchDir(_ label: String) throws -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(label)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

private func text(_ path: String) -> String {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
}

/// The positions in a sincedb file as written (read back without `PositionStore`).
private func positions(_ path: String) -> [String: UInt64] {
    var out: [String: UInt64] = [:]
    for line in text(path).split(separator: "\n") {
        let f = line.split(separator: " ", maxSplits: 5)
        if f.count == 6, let pos = UInt64(f[3]) { out[String(f[5])] = pos }
    }
    return out
}

private let a = FileIdentity(inode: 1, major: 8, minor: 1)
private let b = FileIdentity(inode: 2, major: 8, minor: 1)

@Suite("position store (sincedb)", .timeLimit(.minutes(1)))
struct PositionStoreTests {
    @Test func aRemovedFileIsGoneFromTheFileOnDisk() async throws {
        let d = try scratchDir("pos")
        defer { try? FileManager.default.removeItem(atPath: d) }
        let path = d + "/sincedb"
        let store = PositionStore(path: path)
        store.update(a, position: 10, path: "/spool/a.log")
        store.update(b, position: 20, path: "/spool/b.log")
        store.remove(a)
        await store.flush()
        #expect(positions(path) == ["/spool/b.log": 20])
        #expect(PositionStore(path: path).entry(for: a) == nil)
    }

    @Test func anUpdateIsWrittenWithoutAFlushAndReadsBack() async throws {
        let d = try scratchDir("pos")
        defer { try? FileManager.default.removeItem(atPath: d) }
        let path = d + "/state/sincedb"  // its directory is created on the first write
        let store = PositionStore(path: path)
        store.update(a, position: 10, path: "/logs/a.log")
        store.update(b, position: 20, path: "/logs/b c.log")
        #expect(await eventually { positions(path) == ["/logs/a.log": 10, "/logs/b c.log": 20] })
        // Logstash's layout: inode major minor position last_active path.
        #expect(text(path).hasPrefix("1 8 1 10 "))
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"), "written through a temp file and renamed")
        let again = PositionStore(path: path)
        #expect(again.entry(for: a)?.position == 10 && again.entry(for: b)?.path == "/logs/b c.log")
    }

    @Test func manyUpdatesFromManyThreadsEndWithTheLatestPositionsOnDisk() async throws {
        let d = try scratchDir("pos")
        defer { try? FileManager.default.removeItem(atPath: d) }
        let path = d + "/sincedb"
        let store = PositionStore(path: path)
        await withTaskGroup(of: Void.self) { group in
            for (id, name) in [(a, "/a"), (b, "/b")] {
                group.addTask { for p in 1...20_000 { store.update(id, position: UInt64(p), path: name) } }
            }
        }
        #expect(await eventually { positions(path) == ["/a": 20_000, "/b": 20_000] })
    }

    @Test func aMinimumIntervalSpacesTheWrites() async throws {
        let d = try scratchDir("pos")
        defer { try? FileManager.default.removeItem(atPath: d) }
        let path = d + "/sincedb"
        let store = PositionStore(path: path, minimumInterval: 1)
        // The first write comes after `start`, the second at least a second after the first:
        // bounds that hold however late this test sees the writes on a busy machine.
        let start = ContinuousClock.now
        store.update(a, position: 1, path: "/a")
        #expect(await eventually { positions(path)["/a"] == 1 })
        store.update(a, position: 2, path: "/a")
        try await Task.sleep(for: .milliseconds(100))
        if ContinuousClock.now - start < .milliseconds(900) {
            #expect(positions(path)["/a"] == 1, "written again before the interval passed")
        }
        #expect(await eventually { positions(path)["/a"] == 2 })
        #expect(ContinuousClock.now - start >= .seconds(1))
    }

    @Test func flushWritesTheLatestStateAtOnce() async throws {
        let d = try scratchDir("pos")
        defer { try? FileManager.default.removeItem(atPath: d) }
        let path = d + "/sincedb"
        let store = PositionStore(path: path, minimumInterval: 60)
        store.update(a, position: 1, path: "/a")
        store.update(a, position: 7, path: "/a")
        await store.flush()
        #expect(positions(path) == ["/a": 7])
    }

    @Test func entriesInactiveLongerThanCleanAfterAreForgotten() async throws {
        let d = try scratchDir("pos")
        defer { try? FileManager.default.removeItem(atPath: d) }
        let path = d + "/sincedb"
        let store = PositionStore(path: path)
        store.update(a, position: 10, path: "/a")
        store.update(b, position: 20, path: "/b")
        let now = PositionStore.now()
        store.forget(inactiveFor: 3600, now: now + 60)
        #expect(store.entries.count == 2)
        store.touch([a])
        store.forget(inactiveFor: 3600, now: now + 7200)
        #expect(store.entries.isEmpty)
        await store.flush()
        #expect(PositionStore(path: path).entries.isEmpty)
    }

    @Test func aFailingWriteIsReportedAndRetriedWithoutABusyLoop() async throws {
        let d = try scratchDir("pos")
        defer { try? FileManager.default.removeItem(atPath: d) }
        // The sincedb's directory is a regular file: every write fails, even as root.
        _ = FileManager.default.createFile(atPath: d + "/blocked", contents: Data("x".utf8))
        let failures = Atomic<Int>(0)
        let store = PositionStore(path: d + "/blocked/sincedb") { _ in failures.add(1, ordering: .relaxed) }
        for p in 1...1000 { store.update(a, position: UInt64(p), path: "/a") }
        #expect(await eventually { failures.load(ordering: .relaxed) >= 1 })
        try await Task.sleep(for: .milliseconds(500))
        #expect(failures.load(ordering: .relaxed) <= 2, "retried in a loop: \(failures.load(ordering: .relaxed)) failures")
        // Once the directory can be made, the next attempt writes the latest position.
        try FileManager.default.removeItem(atPath: d + "/blocked")
        store.update(a, position: 1001, path: "/a")
        #expect(await eventually { positions(d + "/blocked/sincedb")["/a"] == 1001 })
    }
}

@Suite struct AckTrackerTests {
    @Test func aLateAcknowledgementFromBeforeATruncationCompletesNothing() {
        var t = AckTracker(start: 0)
        let old = t.register(end: 100)
        t.restart(at: 0)
        let new = t.register(end: 10)
        #expect(old != new)
        let moved1 = t.acknowledge(old, .delivered)
        #expect(!moved1)
        #expect(t.committed == 0, "an old piece's acknowledgement moved the new position")
        let moved2 = t.acknowledge(new, .delivered)
        #expect(moved2)
        #expect(t.committed == 10)
    }

    @Test func outOfOrderAcknowledgementsCommitOnlyContiguousPieces() {
        var t = AckTracker(start: 5)
        let a = t.register(end: 10), b = t.register(end: 20), c = t.register(end: 30)
        let moved3 = t.acknowledge(c, .delivered)
        #expect(!moved3)
        let moved4 = t.acknowledge(b, .delivered)
        #expect(!moved4)
        #expect(t.committed == 5)
        let moved5 = t.acknowledge(a, .delivered)
        #expect(moved5)
        #expect(t.committed == 30)
        #expect(t.outstanding == 0)
        let e = t.register(end: 40), f = t.register(end: 50)
        t.acknowledge(e, .failed)
        #expect(t.waiting == 1 && t.outstanding == 2)
        t.acknowledge(f, .delivered)
        #expect(t.committed == 30 && t.failed, "moved past a piece that failed")
        #expect(t.waiting == 0 && t.outstanding == 2)
    }

    @Test func aTrackerRecordsEachMoveInItsStore() async throws {
        let d = try scratchDir("pos")
        defer { try? FileManager.default.removeItem(atPath: d) }
        let path = d + "/sincedb"
        let store = PositionStore(path: path)
        let tracker = store.tracker(for: a, path: "/a", start: 100)
        #expect(store.entry(for: a)?.position == 100, "the start is recorded before anything is read")
        let first = tracker.register(end: 200), second = tracker.register(end: 300)
        tracker.acknowledge(second, .delivered)
        #expect(store.entry(for: a)?.position == 100)
        tracker.acknowledge(first, .delivered)
        #expect(store.entry(for: a)?.position == 300)
        #expect(await eventually { positions(path)["/a"] == 300 })
        tracker.restart(at: 0)
        #expect(store.entry(for: a)?.position == 0)
        #expect(tracker.status.outstanding == 0 && tracker.committed == 0)
    }
}
