import Foundation
import SluiceCore
import SluiceTesting
import Testing

/// A read-mode file input over `glob` that ends by itself, logging completed files to `done.txt`.
private func readConfig(_ d: TempDir, _ glob: String = "*.log", _ extra: String = "", output: String = "") -> String {
    """
    input { file { path => ["\(d(glob))"] mode => "read" exit_after_read => true
                   file_completed_action => "log" file_completed_log_path => "\(d("done.txt"))"
                   sincedb_path => "\(d("sincedb"))" \(extra) } }
    \(output)
    """
}

@Suite("file input: read mode", .timeLimit(.minutes(1)))
struct FileInputTests {
    @Test func everyLineOfEveryFileArrivesAndTheInputEnds() async throws {
        let d = try TempDir("file-in")
        defer { d.remove() }
        try d.write("a.log", "a1\na2\na3\n")
        try d.write("b.log", "b1\nb2 has no newline")
        try d.write("other.txt", "not matched\n")
        let result = try await standardHarness(pathData: d("data")).run(readConfig(d))
        #expect(Set(messages(result.events)) == ["a1", "a2", "a3", "b1", "b2 has no newline"])
        #expect(result.events.count == 5)
        for e in result.events {
            let file = e.message!.hasPrefix("a") ? d("a.log") : d("b.log")
            #expect(e.fields["path"] == .string(file))
            #expect(e.fields["host"]?.stringValue?.isEmpty == false)
            #expect(e.fields["@version"] == .string("1"))
        }
        // `log`: both paths appended to the completed log, the files kept.
        let done = d.read("done.txt")?.split(separator: "\n").map(String.init).sorted()
        #expect(done == [d("a.log"), d("b.log")])
        #expect(d.exists("a.log") && d.exists("b.log"))
    }

    @Test func linesSpanningManyReadsArriveWholeAndInOrder() async throws {
        let d = try TempDir("file-in")
        defer { d.remove() }
        let lines = (0..<3000).map { "line \($0) " + String(repeating: "x", count: $0 % 97) }
        try d.write("big.log", lines.joined(separator: "\n") + "\n")
        let result = try await standardHarness(pathData: d("data"), batchSize: 64)
            .run(readConfig(d, "*.log", "file_chunk_size => 1024"))
        #expect(messages(result.events) == lines)
    }

    @Test func theEndOfAFileDoesNotWaitOutTheBatchDelay() async throws {
        let d = try TempDir("file-in")
        defer { d.remove() }
        try d.write("a.log", "a1\na2\na3\n")
        var h = standardHarness(pathData: d("data"))
        h.settings.batchDelay = .seconds(30)
        let clock = ContinuousClock()
        let start = clock.now
        // Three lines are a partial batch; without the input's flush at the end of the file
        // the worker would hold them for the whole delay.
        #expect(messages(try await h.run(readConfig(d)).events) == ["a1", "a2", "a3"])
        #expect(clock.now - start < .seconds(10), "the last lines waited for a fuller batch")
    }

    @Test func aCompletedFileIsNotReadAgainAndAppendedLinesResumeFromTheSincedb() async throws {
        let d = try TempDir("file-in")
        defer { d.remove() }
        try d.write("a.log", "a1\na2\n")
        let h = standardHarness(pathData: d("data"))
        #expect(messages(try await h.run(readConfig(d)).events) == ["a1", "a2"])
        #expect(try await h.run(readConfig(d)).events.isEmpty, "a completed file was read again")
        try d.append("a.log", "a3\n")
        #expect(messages(try await h.run(readConfig(d)).events) == ["a3"])
    }

    @Test func deleteHappensOnlyAfterTheEventsWereAcknowledged() async throws {
        let d = try TempDir("file-in")
        defer { d.remove() }
        try d.write("a.log", "a1\na2\n")
        let gate = Gate()
        // A slow output that looks for the file while it writes: a premature delete would show.
        let config = """
            input { file { path => ["\(d("*.log"))"] mode => "read" exit_after_read => true
                           file_completed_action => "delete" sincedb_path => "\(d("sincedb"))" } }
            output { gate { key => "\(gate.key)" delay => 0.3 observe => "exists:\(d("a.log"))" } }
            """
        _ = try await standardHarness(pathData: d("data")).run(config)
        #expect(messages(gate.written) == ["a1", "a2"])
        #expect(!gate.observations.isEmpty && gate.observations.allSatisfy { $0 == "true" })
        #expect(!d.exists("a.log"))
    }

    @Test func aFileWhoseEventsWereNeverAcknowledgedIsNotDeleted() async throws {
        let d = try TempDir("file-in")
        defer { d.remove() }
        try d.write("a.log", "a1\na2\n")
        let gate = Gate()
        let config = """
            input { file { path => ["\(d("*.log"))"] mode => "read" exit_after_read => true
                           file_completed_action => "log_and_delete" file_completed_log_path => "\(d("done.txt"))"
                           sincedb_path => "\(d("sincedb"))" } }
            output { gate { key => "\(gate.key)" fail_on => ["a2"] } }
            """
        let running = try standardHarness(pathData: d("data")).start(config)
        #expect(await eventually { gate.attempts >= 2 })
        #expect(d.exists("a.log"), "deleted while its events were being retried")
        running.abort()
        _ = try await running.finish()
        #expect(d.exists("a.log"))
        #expect(!d.exists("done.txt"))
    }

    @Test func excludeSkipsMatchingBaseNames() async throws {
        let d = try TempDir("file-in")
        defer { d.remove() }
        try d.write("keep.log", "kept\n")
        try d.write("skip-me.log", "skipped\n")
        try d.write("also-skip.log", "skipped too\n")
        let result = try await standardHarness(pathData: d("data"))
            .run(readConfig(d, "*.log", #"exclude => ["skip-*", "also-*.log"]"#))
        #expect(messages(result.events) == ["kept"])
        #expect(d.read("done.txt") == d("keep.log") + "\n")
    }

    @Test func filesAreReadInTheRequestedOrder() async throws {
        let d = try TempDir("file-in")
        defer { d.remove() }
        for name in ["c", "a", "b"] { try d.write("\(name).log", "\(name)1\n\(name)2\n") }
        // Modification times that disagree with the names: b oldest, then c, then a.
        let base = Date(timeIntervalSince1970: 1_700_000_000)
        for (name, offset) in [("b", 0.0), ("c", 60.0), ("a", 120.0)] {
            try FileManager.default.setAttributes([.modificationDate: base.addingTimeInterval(offset)], ofItemAtPath: d("\(name).log"))
        }
        let h = standardHarness(pathData: d("data"))
        func order(_ extra: String) async throws -> [String] {
            try? FileManager.default.removeItem(atPath: d("sincedb"))
            try? FileManager.default.removeItem(atPath: d("done.txt"))
            return messages(try await h.run(readConfig(d, "*.log", extra)).events)
        }
        #expect(try await order(#"file_sort_by => "path""#) == ["a1", "a2", "b1", "b2", "c1", "c2"])
        #expect(try await order(#"file_sort_by => "path" file_sort_direction => "desc""#) == ["c1", "c2", "b1", "b2", "a1", "a2"])
        #expect(try await order(#"file_sort_by => "last_modified""#) == ["b1", "b2", "c1", "c2", "a1", "a2"])
    }

    @Test func aCustomDelimiterSplitsLines() async throws {
        let d = try TempDir("file-in")
        defer { d.remove() }
        try d.write("a.log", "one|two||three")
        let result = try await standardHarness(pathData: d("data")).run(readConfig(d, "*.log", #"delimiter => "|""#))
        #expect(messages(result.events) == ["one", "two", "", "three"])
    }

    @Test func aMultiByteDelimiterSplitAcrossTwoReadsIsFound() async throws {
        let d = try TempDir("file-in")
        defer { d.remove() }
        // The first read is 1024 bytes: it ends between "<" and ">".
        let long = String(repeating: "x", count: 1023)
        try d.write("a.log", long + "<>second<>third<>")
        let result = try await standardHarness(pathData: d("data"))
            .run(readConfig(d, "*.log", #"delimiter => "<>" file_chunk_size => 1024"#))
        #expect(messages(result.events) == [long, "second", "third"])
    }

    @Test func ecsCompatibilityUsesECSFieldNames() async throws {
        let d = try TempDir("file-in")
        defer { d.remove() }
        try d.write("a.log", "hello\n")
        let result = try await standardHarness(pathData: d("data")).run(readConfig(d, "*.log", #"ecs_compatibility => "v8""#))
        let e = try #require(result.events.first)
        #expect(e[field: "[log][file][path]"] == .string(d("a.log")))
        #expect(e[field: "[host][name]"]?.stringValue?.isEmpty == false)
        #expect(e.fields["path"] == nil)
        #expect(e.fields["host"]?.objectValue != nil, "`host` is the ECS object, not a string")
    }

    @Test func aCodecDecodesEachLineAndThePathIsStillSet() async throws {
        let d = try TempDir("file-in")
        defer { d.remove() }
        try d.write("a.log", #"{"user":"ann","n":1}"# + "\n" + #"{"user":"bob","n":2}"# + "\n")
        let result = try await standardHarness(pathData: d("data")).run(readConfig(d, "*.log", "codec => json"))
        #expect(result.events.map { $0.fields["user"] } == [.string("ann"), .string("bob")])
        #expect(result.events.map { $0.fields["n"] } == [.int(1), .int(2)])
        #expect(result.events.allSatisfy { $0.fields["path"] == .string(d("a.log")) })
    }
}
