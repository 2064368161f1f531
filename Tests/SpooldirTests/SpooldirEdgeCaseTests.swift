import Foundation
import SluiceCore
import SluiceTesting
import Testing

/// The spool's edge cases: files still being written, modified, reused names, bytes that do
/// not decode, overlong lines, files deleted by someone else, and where each line came from.
@Suite("spooldir: edge cases", .serialized, .timeLimit(.minutes(2)))
struct SpooldirEdgeCaseTests {
    @Test func filesStillBeingWrittenHiddenOrCompletedAreNotRead() async throws {
        let s = try Spool()
        defer { s.remove() }
        try s.write(".hidden.log", "hidden\n")
        try s.write("done.log.COMPLETED", "completed before\n")
        try s.write("growing.log", "g-1\n", age: 0)
        let rec = Recorder()
        let running = try spoolHarness(s).start(
            "input { spooldir { path => \"\(s.dir)\" min_file_age => 0.8 poll_interval => 0.05 } }" + rec.output())
        // Appended to every 200 ms for 1.6 s: never unchanged for 0.8 s, so never read.
        for i in 2...9 {
            try await Task.sleep(for: .milliseconds(200))
            try s.append("growing.log", "g-\(i)\n")
            #expect(rec.written.isEmpty, "read while it was still being written")
        }
        #expect(await eventually { s.exists("growing.log.COMPLETED") })
        running.stop()
        _ = try await running.finish()
        #expect(messages(rec.written) == (1...9).map { "g-\($0)" })
        #expect(s.names == [".hidden.log", "done.log.COMPLETED", "growing.log.COMPLETED"])
    }

    @Test func aFileModifiedAfterItWasReadIsSetAsideAndTheInputGoesOn() async throws {
        let s = try Spool()
        defer { s.remove() }
        try s.write("a.log", "a1\na2\n")
        let logs = LogCapture()
        let rec = Recorder()
        rec.holding = true
        let running = try spoolHarness(s, logs: logs).start(s.input() + rec.output())
        #expect(await eventually { rec.attempts >= 1 })
        try s.append("a.log", "a3 written after the file was read\n")
        rec.holding = false
        #expect(await eventually { s.names == ["a.log.ERROR"] })
        // The input goes on with the next file.
        try s.write("b.log", "b1\n")
        #expect(await eventually { s.names == ["a.log.ERROR", "b.log.COMPLETED"] })
        running.stop()
        _ = try await running.finish()
        #expect(messages(rec.written) == ["a1", "a2", "b1"])
        #expect(logs.all.contains("\(s("a.log")) was modified"))
        #expect(logs.all.contains("set aside as \(s("a.log.ERROR"))"))
    }

    @Test func aReusedCompletedNameIsSetAsideUnread() async throws {
        let s = try Spool()
        defer { s.remove() }
        try s.write("a.log", "first\n")
        let logs = LogCapture()
        let rec = Recorder()
        let running = try spoolHarness(s, logs: logs).start(s.input() + rec.output())
        #expect(await eventually { s.names == ["a.log.COMPLETED"] })
        try s.write("a.log", "second file, same name\n")
        try s.write("b.log", "b1\n")
        #expect(await eventually { s.names == ["a.log.COMPLETED", "a.log.ERROR", "b.log.COMPLETED"] })
        // Reused again: the next free `.ERROR` name, nothing overwritten.
        try s.write("a.log", "third\n")
        #expect(await eventually { s.names.contains("a.log.1.ERROR") })
        running.stop()
        _ = try await running.finish()
        #expect(messages(rec.written) == ["first", "b1"])
        #expect(s.bytes("a.log.COMPLETED") == Array("first\n".utf8))
        #expect(s.bytes("a.log.ERROR") == Array("second file, same name\n".utf8))
        #expect(logs.all.contains("reuses the name of a file completed before"))
    }

    @Test func aReusedNameUnderTrackerDirIsSetAside() async throws {
        let s = try Spool()
        defer { s.remove() }
        try s.write("a.log", "first\n")
        let rec = Recorder()
        let running = try spoolHarness(s).start(s.input("tracking_policy => tracker_dir") + rec.output())
        #expect(await eventually { FileManager.default.fileExists(atPath: s(".sluicespool/a.log.COMPLETED")) })
        try s.write("a.log", "another file under the same name\n", age: 5)
        #expect(await eventually { s.names == [".sluicespool", "a.log.ERROR"] })
        running.stop()
        _ = try await running.finish()
        #expect(messages(rec.written) == ["first"])
    }

    @Test(arguments: [
        ("replace", ["ok1", "bad \u{FFFD}\u{FFFD} x", "ok3"]),
        ("ignore", ["ok1", "bad  x", "ok3"]),
    ])
    func invalidUTF8IsReplacedOrDropped(policy: String, expected: [String]) async throws {
        let s = try Spool()
        defer { s.remove() }
        try s.write("a.log", Array("ok1\nbad ".utf8) + [0xFF, 0xFE] + Array(" x\nok3\n".utf8))
        let rec = Recorder()
        let running = try spoolHarness(s).start(s.input("decode_error_policy => \(policy)") + rec.output())
        #expect(await eventually { s.names == ["a.log.COMPLETED"] })
        running.stop()
        _ = try await running.finish()
        #expect(messages(rec.written) == expected)
    }

    @Test func invalidUTF8UnderFailSetsTheFileAsideAfterDeliveringWhatCameBefore() async throws {
        let s = try Spool()
        defer { s.remove() }
        try s.write("a.log", Array("ok1\nok2\nbad ".utf8) + [0xC3, 0x28] + Array("\nok4\n".utf8))
        try s.write("b.log", "b1\n", age: 5)
        let logs = LogCapture()
        let rec = Recorder()
        let running = try spoolHarness(s, logs: logs).start(s.input() + rec.output())
        #expect(await eventually { s.names == ["a.log.ERROR", "b.log.COMPLETED"] })
        running.stop()
        _ = try await running.finish()
        #expect(messages(rec.written) == ["ok1", "ok2", "b1"])
        // The log line says where (byte 12 is 0xC3 on line 3) and what became of the file.
        #expect(logs.all.contains("not valid UTF-8 at byte offset 12 (line 3)"), "\(logs.all)")
        #expect(logs.all.contains("set aside as \(s("a.log.ERROR"))"))
    }

    @Test func otherCharsetsAreConvertedToUTF8() async throws {
        let s = try Spool()
        defer { s.remove() }
        try s.write("latin1.log", [0x63, 0x61, 0x66, 0xE9, 0x0A])  // "café" in ISO-8859-1
        let rec = Recorder()
        let running = try spoolHarness(s).start(s.input(#"charset => "ISO-8859-1""#) + rec.output())
        #expect(await eventually { rec.written.count == 1 })
        running.stop()
        _ = try await running.finish()
        #expect(messages(rec.written) == ["café"])
    }

    @Test func aTenMiBLineIsSplitAtMaxLineLengthWithoutCuttingCharacters() async throws {
        let s = try Spool()
        defer { s.remove() }
        // 3-byte characters, so that pieces of 1 MiB would end inside one: the cut backs off.
        let long = String(repeating: "abcdefg€", count: (10 << 20) / 10)
        try s.write("big.log", "first\n" + long + "\nlast\n")
        let max = 1 << 20
        let rec = Recorder()
        let running = try spoolHarness(s).start(s.input("max_line_length => \(max)") + rec.output())
        #expect(await eventually { s.names == ["big.log.COMPLETED"] })
        running.stop()
        _ = try await running.finish()
        let got = messages(rec.written)
        #expect(got.first == "first" && got.last == "last")
        let pieces = Array(got.dropFirst().dropLast())
        // Pieces of `max` bytes, or up to 2 bytes less where a character would have been cut.
        #expect(pieces.count >= (long.utf8.count + max - 1) / max && pieces.count <= (long.utf8.count + max - 3) / (max - 2))
        #expect(pieces.dropLast().allSatisfy { $0.utf8.count >= max - 2 })
        #expect(pieces.joined() == long)
        #expect(pieces.allSatisfy { $0.utf8.count <= max && !$0.contains("\u{FFFD}") })
        // Each piece knows its line and where it starts.
        let file = s.bytes("big.log.COMPLETED") ?? []
        var expectedOffset = 6
        for e in rec.written.dropFirst().dropLast() {
            #expect(e.originLine == 2)
            #expect(e.originOffset == expectedOffset)
            expectedOffset += e.message?.utf8.count ?? 0
        }
        #expect(rec.written.last?.originLine == 3)
        #expect(rec.written.last?.originOffset == file.count - 5)
    }

    @Test func metadataOffsetAndLinePointAtTheLineInTheFile() async throws {
        let s = try Spool()
        defer { s.remove() }
        let lines = ["plain", "", "ümlaut ß", "tab\tseparated", "crlf ends with cr\r", "日本語のテキスト", "last"]
        try s.write("m.log", lines.joined(separator: "\n"))
        let rec = Recorder()
        let running = try spoolHarness(s).start(
            s.input("file_header => true basename_header => true basename_header_key => \"[src][name]\"") + rec.output())
        #expect(await eventually { s.names == ["m.log.COMPLETED"] })
        running.stop()
        _ = try await running.finish()
        #expect(messages(rec.written) == lines)
        // Read the bytes at each offset independently, from the completed file.
        let h = try #require(FileHandle(forReadingAtPath: s("m.log.COMPLETED")))
        defer { try? h.close() }
        for (i, e) in rec.written.enumerated() {
            let message = try #require(e.message)
            let offset = try #require(e.originOffset)
            try h.seek(toOffset: UInt64(offset))
            let bytes = try h.read(upToCount: message.utf8.count) ?? Data()
            #expect(String(decoding: bytes, as: UTF8.self) == message)
            #expect(e.originLine == i + 1)
            #expect(e.originPath == s("m.log"))
            #expect(e.fields["file"] == .string(s("m.log")))
            #expect(e[field: "[src][name]"] == .string("m.log"))
            #expect(e.fields["@timestamp"] != nil)
        }
    }

    @Test func aFileDeletedBySomeoneElseMidReadIsReportedAndTheInputGoesOn() async throws {
        let s = try Spool()
        defer { s.remove() }
        try s.write("a.log", numbered("a", 20_000))
        let logs = LogCapture()
        let rec = Recorder()
        rec.holding = true
        let running = try spoolHarness(s, logs: logs, batchSize: 50).start(s.input() + rec.output())
        // The output holds the first batch: the queue fills and the input waits mid-file.
        #expect(await eventually { rec.attempts >= 1 })
        try FileManager.default.removeItem(atPath: s("a.log"))
        rec.holding = false
        #expect(await eventually { logs.all.contains("\(s("a.log")) was deleted by someone else") })
        try s.write("b.log", "b1\n")
        #expect(await eventually { s.names == ["b.log.COMPLETED"] })
        running.stop()
        _ = try await running.finish()
        // The open file was read to its end: nothing of it was lost.
        #expect(messages(rec.written) == lines("a", 20_000) + ["b1"])
    }

    @Test func jsonLinesCodecDecodesEachLineAndKeepsTheOrigin() async throws {
        let s = try Spool()
        defer { s.remove() }
        try s.write("j.log", "{\"age\":21,\"gender\":\"f\"}\n{\"age\":22,\"gender\":\"m\"}\n")
        let rec = Recorder()
        let running = try spoolHarness(s).start(s.input("codec => json_lines") + rec.output())
        #expect(await eventually { rec.written.count == 2 })
        running.stop()
        _ = try await running.finish()
        #expect(rec.written.map { $0.fields["age"] } == [.int(21), .int(22)])
        #expect(rec.written.map(\.originOffset) == [0, 24])
        #expect(rec.written.map(\.originLine) == [1, 2])
    }

    @Test func subdirectoriesAreReadOnlyWhenRecursive() async throws {
        let s = try Spool()
        defer { s.remove() }
        try s.write("top.log", "top\n")
        try s.write("sub/deep.log", "deep\n")
        try s.write(".hiddendir/x.log", "hidden dir\n")
        let rec = Recorder()
        let running = try spoolHarness(s).start(s.input() + rec.output())
        #expect(await eventually { s.exists("top.log.COMPLETED") })
        try await Task.sleep(for: .milliseconds(300))
        running.stop()
        _ = try await running.finish()
        #expect(messages(rec.written) == ["top"])

        let deep = Recorder()
        let again = try spoolHarness(s).start(s.input("recursive => true") + deep.output())
        #expect(await eventually { s.exists("sub/deep.log.COMPLETED") })
        try await Task.sleep(for: .milliseconds(300))
        again.stop()
        _ = try await again.finish()
        #expect(messages(deep.written) == ["deep"])
        #expect(s.exists(".hiddendir/x.log"))
    }
}
