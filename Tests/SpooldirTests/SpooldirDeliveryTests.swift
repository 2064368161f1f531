import Foundation
import SluiceCore
import SluiceTesting
import Testing

/// Delivery and completion: every line once, in order, files completed only after their
/// events were acknowledged, and a restart resuming at the acknowledged position.
@Suite("spooldir: delivery", .serialized, .timeLimit(.minutes(5)))
struct SpooldirDeliveryTests {
    @Test func everyLineOfEveryFileArrivesOnceOldestFileFirst() async throws {
        let s = try Spool()
        defer { s.remove() }
        // Written in one order, aged in another: `oldest` goes by modification time.
        try s.write("c.log", numbered("c", 300), age: 10)
        try s.write("a.log", numbered("a", 250), age: 30)
        try s.write("b.log", numbered("b", 200) + "b-last-without-newline", age: 20)
        let rec = Recorder()
        let running = try spoolHarness(s).start(s.input() + rec.output())
        #expect(await eventually { s.names == ["a.log.COMPLETED", "b.log.COMPLETED", "c.log.COMPLETED"] })
        running.stop()
        _ = try await running.finish()
        let expected: [String] = lines("a", 250) + lines("b", 200) + ["b-last-without-newline"] + lines("c", 300)
        #expect(messages(rec.written) == expected)
        // The completed files are the files as written: nothing was changed in them.
        #expect(s.bytes("a.log.COMPLETED") == Array(numbered("a", 250).utf8))
    }

    @Test func youngestOrderReadsTheNewestFileFirst() async throws {
        let s = try Spool()
        defer { s.remove() }
        try s.write("old.log", "old\n", age: 30)
        try s.write("mid.log", "mid\n", age: 20)
        try s.write("new.log", "new\n", age: 10)
        let rec = Recorder()
        let running = try spoolHarness(s).start(s.input("consume_order => youngest") + rec.output())
        #expect(await eventually { rec.written.count == 3 })
        running.stop()
        _ = try await running.finish()
        #expect(messages(rec.written) == ["new", "mid", "old"])
    }

    @Test func aFileIsCompletedOnlyAfterItsEventsWereAcknowledged() async throws {
        let s = try Spool()
        defer { s.remove() }
        try s.write("a.log", numbered("a", 20))
        let rec = Recorder()
        rec.holding = true
        let running = try spoolHarness(s).start(s.input() + rec.output())
        // The output has the events but has not confirmed them: the file stays as it is.
        #expect(await eventually { rec.attempts >= 1 })
        try await Task.sleep(for: .milliseconds(500))
        #expect(s.names == ["a.log"])
        rec.failing = true
        rec.holding = false
        #expect(await eventually { rec.attempts >= 3 })
        #expect(s.names == ["a.log"], "completed while its events were failing")
        rec.failing = false
        #expect(await eventually { s.names == ["a.log.COMPLETED"] })
        running.stop()
        _ = try await running.finish()
        #expect(messages(rec.written) == lines("a", 20))
    }

    @Test func aRestartResumesAtTheAcknowledgedPosition() async throws {
        let s = try Spool()
        defer { s.remove() }
        try s.write("a.log", numbered("a", 100))
        // Batches of 10 lines; the 6th (a-51 ... a-60) never gets through.
        var h = spoolHarness(s, batchSize: 10)
        h.settings.workers = 1
        let first = Recorder()
        let running = try h.start(s.input("batch_size => 10") + first.output(#"fail_on => ["a-55"]"#))
        #expect(await eventually { first.attempts >= 8 })
        running.abort()
        _ = try await running.finish()
        #expect(messages(first.written) == (1...50).map { "a-\($0)" })
        #expect(s.names == ["a.log"])

        let second = Recorder()
        let again = try h.start(s.input("batch_size => 10") + second.output())
        #expect(await eventually { s.names == ["a.log.COMPLETED"] })
        again.stop()
        _ = try await again.finish()
        // Only what was not acknowledged is read again, with its original offsets and lines.
        #expect(messages(second.written) == (51...100).map { "a-\($0)" })
        #expect(second.written.first?.originLine == 51)
        let offset51 = numbered("a", 50).utf8.count
        #expect(second.written.first?.originOffset == offset51)
    }

    @Test func emptyFilesCompleteAtOnce() async throws {
        let s = try Spool()
        defer { s.remove() }
        try s.write("empty.log", "")
        try s.write("one.log", "one\n")
        let rec = Recorder()
        let running = try spoolHarness(s).start(s.input() + rec.output())
        #expect(await eventually { s.names == ["empty.log.COMPLETED", "one.log.COMPLETED"] })
        running.stop()
        _ = try await running.finish()
        #expect(messages(rec.written) == ["one"])
    }

    @Test func deletePolicyImmediateDeletesAfterAcknowledgement() async throws {
        let s = try Spool()
        defer { s.remove() }
        try s.write("a.log", "a1\na2\n")
        let rec = Recorder()
        rec.holding = true
        let running = try spoolHarness(s).start(s.input("delete_policy => immediate") + rec.output())
        #expect(await eventually { rec.attempts >= 1 })
        try await Task.sleep(for: .milliseconds(300))
        #expect(s.names == ["a.log"], "deleted before its events were acknowledged")
        rec.holding = false
        #expect(await eventually { s.names.isEmpty })
        running.stop()
        _ = try await running.finish()
        #expect(messages(rec.written) == ["a1", "a2"])
    }

    @Test func trackerDirLeavesFilesAndMarksThem() async throws {
        let s = try Spool()
        defer { s.remove() }
        try s.write("a.log", "a1\na2\n")
        try s.write("sub/b.log", "b1\n")
        let rec = Recorder()
        let config = s.input("tracking_policy => tracker_dir recursive => true") + rec.output()
        let running = try spoolHarness(s).start(config)
        #expect(await eventually { FileManager.default.fileExists(atPath: s(".sluicespool/sub/b.log.COMPLETED")) })
        #expect(await eventually { FileManager.default.fileExists(atPath: s(".sluicespool/a.log.COMPLETED")) })
        // Later polls do not read the marked files again.
        try await Task.sleep(for: .milliseconds(500))
        running.stop()
        _ = try await running.finish()
        #expect(messages(rec.written).sorted() == ["a1", "a2", "b1"])
        #expect(s.exists("a.log") && s.exists("sub/b.log"))
        // Nor does a restart.
        let again = Recorder()
        let second = try spoolHarness(s).start(config.replacingOccurrences(of: rec.key, with: again.key))
        try await Task.sleep(for: .milliseconds(500))
        second.stop()
        _ = try await second.finish()
        #expect(again.written.isEmpty)
    }

    @Test func includeAndIgnorePatternsMatchWholeNamesAndIgnoreWins() async throws {
        let s = try Spool()
        defer { s.remove() }
        try s.write("keep.log", "kept\n")
        try s.write("skip.log", "skipped\n")
        try s.write("other.txt", "not included\n")
        try s.write("keep.log.txt", "not a whole match\n")
        let rec = Recorder()
        let running = try spoolHarness(s).start(
            s.input(#"include_pattern => "[a-z]+\.log" ignore_pattern => "skip.*""#) + rec.output())
        #expect(await eventually { s.exists("keep.log.COMPLETED") })
        try await Task.sleep(for: .milliseconds(300))
        running.stop()
        _ = try await running.finish()
        #expect(messages(rec.written) == ["kept"])
        #expect(s.names == ["keep.log.COMPLETED", "keep.log.txt", "other.txt", "skip.log"])
    }

    @Test func tenThousandSmallFilesInBoundedTime() async throws {
        let s = try Spool()
        defer { s.remove() }
        let n = 10_000
        let clock = ContinuousClock()
        let t0 = clock.now
        // Created off the test runner's threads: on a busy disk this takes a while.
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                c.resume(with: Result { for i in 0..<n { try s.create("f\(i).log", "line \(i)\n") } })
            }
        }
        print("created in \(clock.now - t0)")
        let rec = Recorder()
        let start = clock.now
        let running = try spoolHarness(s).start(s.input() + rec.output())
        #expect(await eventually(timeout: .seconds(90)) { rec.written.count >= n })
        #expect(await eventually { s.names.allSatisfy { $0.hasSuffix(".COMPLETED") } })
        let elapsed = clock.now - start
        running.stop()
        _ = try await running.finish()
        print("finished in \(clock.now - t0)")
        print("spooldir: \(n) one-line files read and completed in \(elapsed)")
        #expect(elapsed < .seconds(60))
        #expect(Set(messages(rec.written)) == Set((0..<n).map { "line \($0)" }))
        #expect(rec.written.count == n)
    }
}
