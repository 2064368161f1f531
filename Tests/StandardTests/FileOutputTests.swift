import Foundation
import SluiceCore
import SluiceTesting
@testable import StandardPlugins
import Testing

private let march5 = Timestamp(year: 2024, month: 3, day: 5, hour: 10)

private func event(_ message: String, at ts: Timestamp = march5, _ fields: [String: Value] = [:]) -> Event {
    var e = Event(message: message, timestamp: ts)
    for (k, v) in fields.sorted(by: { $0.key < $1.key }) { e.fields.set(k, v) }
    return e
}

private func fileLines(_ path: String) -> [String] {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        .map { $0.last == "" ? Array($0.dropLast()) : $0 } ?? []
}

@Suite("file output", .timeLimit(.minutes(1)))
struct FileOutputTests {
    @Test func aSprintfPathWritesEachEventToItsTypeAndDayFile() async throws {
        let d = try TempDir("file-out")
        defer { d.remove() }
        let events = [
            event("w1", ["type": "web"]),
            event("d1", ["type": "db"]),
            event("w2", at: Timestamp(year: 2024, month: 3, day: 6, hour: 0, minute: 30), ["type": "web"]),
            event("w3", ["type": "web"]),
        ]
        let config = #"output { file { path => "\#(d.path)/%{type}/%{+YYYY-MM-dd}.log" codec => line { format => "%{message}" } } }"#
        let result = try await standardHarness(pathData: d("data")).run(config, events: events, chunkSize: 3)
        #expect(fileLines(d("web/2024-03-05.log")) == ["w1", "w3"])
        #expect(fileLines(d("web/2024-03-06.log")) == ["w2"])
        #expect(fileLines(d("db/2024-03-05.log")) == ["d1"])
        #expect(result.acks == [.delivered, .delivered])
    }

    @Test func jsonLinesByDefaultReadBackByAnIndependentParser() async throws {
        let d = try TempDir("file-out")
        defer { d.remove() }
        let tricky = "quote \" backslash \\ tab \t newline \n é 😀 \u{01}"
        var e = event(tricky, ["n": 42, "pi": 3.5, "ok": true, "none": nil, "list": [1, "two"], "obj": ["k": "v"]])
        e.fields.set("@metadata", ["secret": "x"])
        let config = #"output { file { path => "\#(d("out.json"))" } }"#
        _ = try await standardHarness(pathData: d("data")).run(config, events: [e, event("second")])
        let lines = fileLines(d("out.json"))
        #expect(lines.count == 2, "an embedded newline must be escaped: \(lines)")
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["message"] as? String == tricky)
        #expect(first["@timestamp"] as? String == "2024-03-05T10:00:00.000Z")
        #expect(first["@version"] as? String == "1")
        #expect((first["n"] as? NSNumber)?.intValue == 42)
        #expect((first["pi"] as? NSNumber)?.doubleValue == 3.5)
        #expect((first["ok"] as? NSNumber)?.boolValue == true)
        #expect(first["none"] is NSNull)
        #expect((first["list"] as? [Any])?.count == 2)
        #expect((first["obj"] as? [String: Any])?["k"] as? String == "v")
        #expect(first["@metadata"] == nil, "@metadata is never serialized")
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["message"] as? String == "second")
    }

    @Test func theLineCodecWritesTheFormat() async throws {
        let d = try TempDir("file-out")
        defer { d.remove() }
        let config = #"output { file { path => "\#(d("out.txt"))" codec => line { format => "%{type}|%{message}|%{[obj][k]}" } } }"#
        let events = [event("a", ["type": "t1", "obj": ["k": "v"]]), event("b", ["type": "t2", "obj": ["k": "w"]])]
        _ = try await standardHarness(pathData: d("data")).run(config, events: events)
        #expect(d.read("out.txt") == "t1|a|v\nt2|b|w\n")
    }

    @Test func aCodecWithoutItsOwnBatchEncodingWritesThroughTheDefault() async throws {
        let d = try TempDir("file-out")
        defer { d.remove() }
        // `plain` implements only the `[UInt8]` form of `encode`.
        let config = #"output { file { path => "\#(d("out.txt"))" codec => plain { format => "<%{message}>" } } }"#
        _ = try await standardHarness(pathData: d("data")).run(config, events: [event("a"), event("b"), event("c")])
        #expect(d.read("out.txt") == "<a><b><c>")
    }

    @Test func outputPastTheWriteBackThresholdIsCompleteAndInOrder() async throws {
        let d = try TempDir("file-out")
        defer { d.remove() }
        // About 9 MiB: twice FileWriter.Options().writeBackBytes and more, so write-back starts on the way.
        let pad = String(repeating: "x", count: 200)
        let count = 45_000
        let events = (0..<count).map { event("\($0) \(pad)") }
        let config = #"output { file { path => "\#(d("big.txt"))" codec => line { format => "%{message}" } } }"#
        let result = try await standardHarness(pathData: d("data"), batchSize: 500).run(config, events: events, chunkSize: 500)
        #expect(count * 205 > 2 * FileWriter.Options().writeBackBytes)
        let lines = fileLines(d("big.txt"))
        #expect(lines.count == count)
        #expect(lines.enumerated().allSatisfy { $0.element == "\($0.offset) \(pad)" })
        #expect(result.acks.count == count / 500 && result.acks.allSatisfy { $0 == .delivered })
    }

    @Test func gzipOutputIsAValidStreamAfterEveryBatch() async throws {
        let d = try TempDir("file-out")
        defer { d.remove() }
        let gate = Gate()
        let path = d("out.log.gz")
        // The gate runs after the file output for each batch and decompresses what is on disk.
        let config = """
            output {
              file { path => "\(path)" gzip => true codec => line { format => "%{message}" } }
              gate { key => "\(gate.key)" observe => "gzip:\(path)" }
            }
            """
        let events = (0..<10).map { event("line \($0)") }
        _ = try await standardHarness(pathData: d("data"), batchSize: 2).run(config, events: events, chunkSize: 2)
        #expect(gate.observations == ["2", "4", "6", "8", "10"])
        let gunzip = try shell("/usr/bin/gzip", ["-dc", path])
        #expect(gunzip.status == 0)
        #expect(String(decoding: gunzip.stdout, as: UTF8.self) == events.map { $0.message! + "\n" }.joined())
        let zcat = try shell("/usr/bin/zcat", [path])
        #expect(zcat.status == 0 && zcat.stdout == gunzip.stdout)
    }

    @Test func aPathEscapingWithDotDotGoesToTheFailureFile() async throws {
        let d = try TempDir("file-out")
        defer { d.remove() }
        let config = #"output { file { path => "\#(d.path)/out/%{name}.log" codec => line { format => "%{message}" } } }"#
        let events = [
            event("fine", ["name": "ok"]),
            event("up", ["name": "../escaped"]),
            event("deep", ["name": "a/../../../escaped"]),
        ]
        _ = try await standardHarness(pathData: d("data")).run(config, events: events)
        #expect(fileLines(d("out/ok.log")) == ["fine"])
        #expect(fileLines(d("out/_filepath_failures")) == ["up", "deep"])
        #expect(!d.exists("escaped.log"))
        let parent = URL(fileURLWithPath: d.path).deletingLastPathComponent().path
        #expect(!FileManager.default.fileExists(atPath: parent + "/escaped.log"))
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: d.path)).isSubset(of: ["data", "out"]))
    }

    @Test func overwriteLeavesOnlyTheLatestEventOfEachFile() async throws {
        let d = try TempDir("file-out")
        defer { d.remove() }
        try d.write("web.txt", "stale content\n")
        let config = #"output { file { path => "\#(d.path)/%{type}.txt" write_behavior => "overwrite" codec => line { format => "%{message}" } } }"#
        let events = (0..<7).map { event("e\($0)", ["type": .string($0 % 2 == 0 ? "web" : "db")]) }
        _ = try await standardHarness(pathData: d("data"), batchSize: 3).run(config, events: events, chunkSize: 3)
        #expect(d.read("web.txt") == "e6\n")
        #expect(d.read("db.txt") == "e5\n")
    }

    @Test func appendKeepsWhatWasThere() async throws {
        let d = try TempDir("file-out")
        defer { d.remove() }
        try d.write("out.txt", "before\n")
        let config = #"output { file { path => "\#(d("out.txt"))" codec => line { format => "%{message}" } } }"#
        _ = try await standardHarness(pathData: d("data")).run(config, events: [event("after")])
        #expect(d.read("out.txt") == "before\nafter\n")
    }

    @Test(arguments: ["blocked/out.txt", "blocked/sub/out.txt"])
    func anUnwritablePathIsRetriedNotDropped(target: String) async throws {
        let d = try TempDir("file-out")
        defer { d.remove() }
        // A regular file where the directory should be: opening (or creating the directory) fails, even for root.
        try d.write("blocked", "not a directory\n")
        let config = #"output { file { path => "\#(d(target))" codec => line { format => "%{message}" } } }"#
        let running = try standardHarness(pathData: d("data")).start(config, events: [event("kept1"), event("kept2")])
        // Several attempts fail (backoff 100 ms, 200 ms, ...); the batch stays unacknowledged.
        try await Task.sleep(for: .milliseconds(400))
        #expect(running.current.acks.isEmpty)
        try FileManager.default.removeItem(atPath: d("blocked"))
        let result = try await running.finish()
        #expect(d.read(target) == "kept1\nkept2\n")
        #expect(result.acks == [.delivered])
        #expect(result.deadLetters.isEmpty)
    }
}
