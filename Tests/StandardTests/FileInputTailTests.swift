import Foundation
import SluiceCore
import SluiceTesting
@testable import StandardPlugins
import Testing

/// A tail-mode file input over `glob` that polls quickly and writes its sincedb often.
private func tailConfig(_ d: TempDir, _ glob: String = "*.log", _ extra: String = "", start: String = "beginning",
                        output: String = "") -> String {
    """
    input { file { path => ["\(d(glob))"] start_position => "\(start)" stat_interval => 0.02
                   discover_interval => 1 sincedb_write_interval => 0.05 \(extra) } }
    \(output)
    """
}

private func lines(_ prefix: String, _ range: Range<Int>) -> [String] { range.map { "\(prefix)\($0)" } }
private func text(_ lines: [String]) -> String { lines.map { $0 + "\n" }.joined() }

@Suite("file input: tail mode, restart and resume", .timeLimit(.minutes(1)))
struct FileInputTailTests {
    @Test func aRestartDeliversOnlyTheNewLines() async throws {
        let d = try TempDir("file-tail")
        defer { d.remove() }
        try d.write("a.log", text(lines("old", 0..<5)))
        let h = standardHarness(pathData: d("data"))

        let first = try h.start(tailConfig(d))
        #expect(await first.waitUntil { $0.events.count >= 5 })
        first.stop()
        #expect(messages(try await first.finish().events) == lines("old", 0..<5))
        // The sincedb lives under path.data.
        let stateDir = d("data/plugins/inputs/file")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: stateDir))?.contains { $0.hasPrefix(".sincedb_") } == true)

        try d.append("a.log", text(lines("new", 0..<3)))
        let second = try h.start(tailConfig(d))
        // Reading is sequential: an old line read again would come before the new ones.
        #expect(await second.waitUntil { $0.events.count >= 3 })
        second.stop()
        #expect(messages(try await second.finish().events) == lines("new", 0..<3))

        let third = try h.start(tailConfig(d))
        try await Task.sleep(for: .milliseconds(300))
        third.stop()
        #expect(try await third.finish().events.isEmpty, "nothing new, nothing delivered")
    }

    @Test func aStopDuringASlowWriteStillCommitsWhatWasDelivered() async throws {
        let d = try TempDir("file-tail")
        defer { d.remove() }
        try d.write("a.log", text(lines("old", 0..<5)))
        let h = standardHarness(pathData: d("data"))
        let gate = Gate()
        let first = try h.start(tailConfig(d, output: #"output { gate { key => "\#(gate.key)" delay => 0.5 } }"#))
        // Stop while the output is still writing: the drain delivers the lines, and the
        // input must wait for that acknowledgement before it records its position.
        #expect(await eventually { gate.attempts >= 1 })
        first.stop()
        _ = try await first.finish()
        #expect(messages(gate.written) == lines("old", 0..<5))

        try d.append("a.log", "new\n")
        let second = try h.start(tailConfig(d))
        #expect(await second.waitUntil { $0.events.count >= 1 })
        second.stop()
        #expect(messages(try await second.finish().events) == ["new"])
    }

    @Test func theSincedbDoesNotMovePastUnacknowledgedLines() async throws {
        let d = try TempDir("file-tail")
        defer { d.remove() }
        try d.write("a.log", text(lines("l", 0..<10)))
        // Batches of two lines: [l0 l1] [l2 l3] go through, [l4 l5] fails until the abort.
        let h = standardHarness(pathData: d("data"), batchSize: 2)
        let gate = Gate()
        let first = try h.start(tailConfig(d, output: #"output { gate { key => "\#(gate.key)" fail_on => ["l5"] } }"#))
        #expect(await eventually { gate.attempts >= 4 && gate.written.count >= 4 })
        first.abort()
        _ = try await first.finish()
        #expect(messages(gate.written).starts(with: lines("l", 0..<4)))
        #expect(!messages(gate.written).contains("l4"))

        let second = try h.start(tailConfig(d))
        #expect(await second.waitUntil { $0.events.count >= 6 })
        second.stop()
        // Everything from the failed batch on comes again; nothing acknowledged before it does.
        #expect(messages(try await second.finish().events) == lines("l", 4..<10))
    }

    @Test func linesAppendedWhileRunningArriveAndNewFilesAreFound() async throws {
        let d = try TempDir("file-tail")
        defer { d.remove() }
        try d.write("a.log", "a1\n")
        let running = try standardHarness(pathData: d("data")).start(tailConfig(d))
        #expect(await running.waitUntil { $0.events.count >= 1 })
        try d.append("a.log", "a2\na3")
        #expect(await running.waitUntil { $0.events.count >= 2 })
        // The unterminated "a3" waits for its newline.
        try d.append("a.log", " end\n")
        try d.write("b.log", "b1\n")
        #expect(await running.waitUntil { $0.events.count >= 4 })
        running.stop()
        let got = messages(try await running.finish().events)
        #expect(got.filter { $0.hasPrefix("a") } == ["a1", "a2", "a3 end"])
        #expect(got.filter { $0.hasPrefix("b") } == ["b1"])
        #expect(got.count == 4)
    }

    @Test func aTruncatedFileIsReadAgainFromTheStart() async throws {
        let d = try TempDir("file-tail")
        defer { d.remove() }
        try d.write("a.log", "one\ntwo\nthree\n")
        let running = try standardHarness(pathData: d("data")).start(tailConfig(d))
        #expect(await running.waitUntil { $0.events.count >= 3 })
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: d("a.log")))
        try h.truncate(atOffset: 0)
        try h.write(contentsOf: Data("4\n".utf8))
        try h.close()
        #expect(await running.waitUntil { $0.events.count >= 4 })
        running.stop()
        #expect(messages(try await running.finish().events) == ["one", "two", "three", "4"])
    }

    @Test func startPositionEndSkipsWhatWasThereBefore() async throws {
        let d = try TempDir("file-tail")
        defer { d.remove() }
        try d.write("a.log", "old1\nold2\n")
        let running = try standardHarness(pathData: d("data"))
            .start(tailConfig(d, "*.log", #"sincedb_path => "\#(d("since"))""#, start: "end"))
        // Once the sincedb names the file, it was discovered: what is appended now is new.
        #expect(await eventually { d.read("since")?.contains(d("a.log")) == true })
        try d.append("a.log", "new1\n")
        #expect(await running.waitUntil { $0.events.count >= 1 })
        running.stop()
        #expect(messages(try await running.finish().events) == ["new1"])
    }

    @Test func theSincedbIsWrittenAsSoonAsAnAcknowledgementMovesThePosition() async throws {
        let d = try TempDir("file-tail")
        defer { d.remove() }
        let content = text(lines("l", 0..<300))
        try d.write("a.log", content)
        let h = standardHarness(pathData: d("data"), batchSize: 50)
        // The default sincedb_write_interval: no periodic write to wait for, no stop.
        let running = try h.start("""
            input { file { path => ["\(d("*.log"))"] start_position => "beginning" stat_interval => 0.02
                           sincedb_path => "\(d("since"))" } }
            """)
        #expect(await running.waitUntil { $0.events.count >= 300 })
        // Read back independently: the last field is the path, the fourth the position.
        func position() -> String? {
            d.read("since")?.split(separator: "\n").first { $0.hasSuffix(" " + d("a.log")) }
                .map { String($0.split(separator: " ")[3]) }
        }
        #expect(await eventually(timeout: .seconds(5)) { position() == String(content.utf8.count) },
                "sincedb holds \(position() ?? "nothing") while running")
        running.stop()
        _ = try await running.finish()
    }
}
