import Foundation
import SluiceCore
import SluiceTesting
@testable import StandardPlugins
import Testing

/// Reads a CSV file with Python's `csv` module: the independent reader of what we wrote.
private func pythonRows(_ path: String, delimiter: String = ",", quote: String = "\"") throws -> [[String]] {
    let r = try runProcess("/usr/bin/env", ["python3", "-c", """
        import csv, json, sys
        with open(sys.argv[1], newline='', encoding='utf-8') as f:
            print(json.dumps(list(csv.reader(f, delimiter=sys.argv[2], quotechar=sys.argv[3], strict=True))))
        """, path, delimiter, quote])
    guard r.status == 0 else {
        throw CSVTestFailure("python3 csv failed (is python3 installed?): \(r.stderr)")
    }
    guard let rows = try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [[String]] else {
        throw CSVTestFailure("python3 printed \(r.output)")
    }
    return rows
}

private struct CSVTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

private func event(_ fields: [String: Value]) -> Event {
    var e = Event(timestamp: Timestamp(year: 2026, month: 12, day: 7, hour: 1))
    for (k, v) in fields.sorted(by: { $0.key < $1.key }) { e.fields.set(k, v) }
    return e
}

@Suite("csv output", .timeLimit(.minutes(1)))
struct CSVOutputTests {
    static let tricky: [String] = [
        "plain", "comma, inside", "quote \" inside", "\"starts quoted\"", "line\nbreak", "crlf\r\nbreak",
        "  spaces  ", "é 😀 ünïcödé", "", "semi;colon", "tab\tinside", "'single'",
    ]

    @Test func pythonsCSVModuleReadsBackEveryCellAsWritten() async throws {
        let d = try TempDir("csv-out")
        defer { d.remove() }
        let events = Self.tricky.enumerated().map { i, s in
            event(["text": .string(s), "n": .int(Int64(i)), "obj": ["k": "v, w"], "list": [1, "two"]])
        }
        let config = #"output { csv { path => "\#(d("out.csv"))" fields => ["n", "text", "missing", "[obj]", "[obj][k]", "list"] spreadsheet_safe => false } }"#
        let result = try await standardHarness(pathData: d("data")).run(config, events: events, chunkSize: 5)
        #expect(result.acks.allSatisfy { $0 == .delivered })
        let rows = try pythonRows(d("out.csv"))
        #expect(rows.count == Self.tricky.count)
        for (i, s) in Self.tricky.enumerated() where i < rows.count {
            #expect(rows[i] == [String(i), s, "", #"{"k":"v, w"}"#, "v, w", "1,two"], "row \(i)")
        }
        // RFC 4180: only cells that need it are quoted, and quotes are doubled.
        let text = d.read("out.csv") ?? ""
        #expect(text.hasPrefix("0,plain,,"))
        #expect(text.contains(#","quote "" inside","#))
    }

    @Test func anotherSeparatorAndQuoteCharacterReadBackWithTheSameDialect() async throws {
        let d = try TempDir("csv-out")
        defer { d.remove() }
        let events = Self.tricky.map { event(["text": .string($0)]) }
        let config = #"output { csv { path => "\#(d("out.csv"))" fields => ["text", "text"] csv_options => { "col_sep" => ";" "quote_char" => "'" } } }"#
        _ = try await standardHarness(pathData: d("data")).run(config, events: events)
        let rows = try pythonRows(d("out.csv"), delimiter: ";", quote: "'")
        #expect(rows == Self.tricky.map { [$0, $0] })
    }

    @Test func theHeaderIsWrittenOncePerFileAlsoAcrossRestarts() async throws {
        let d = try TempDir("csv-out")
        defer { d.remove() }
        let config = #"output { csv { path => "\#(d("lag.csv"))" fields => ["lag", "time"] csv_options => { "write_headers" => true "headers" => ["Lag", "Time"] } } }"#
        let h = standardHarness(pathData: d("data"))
        _ = try await h.run(config, events: [event(["lag": 1, "time": "t1"]), event(["lag": 2, "time": "t2"])])
        // A second run (a restart) appends to the file that already has its header.
        _ = try await h.run(config, events: [event(["lag": 3, "time": "t3"])])
        #expect(try pythonRows(d("lag.csv")) == [["Lag", "Time"], ["1", "t1"], ["2", "t2"], ["3", "t3"]])
        // A file that already holds rows (written by someone else) gets no header either.
        try d.write("old.csv", "9,t0\n")
        let old = config.replacingOccurrences(of: "lag.csv", with: "old.csv")
        _ = try await h.run(old, events: [event(["lag": 4, "time": "t4"])])
        #expect(d.read("old.csv") == "9,t0\n4,t4\n")
        // The headers default to the field names.
        let plain = #"output { csv { path => "\#(d("p.csv"))" fields => ["lag", "[a][b]"] csv_options => { "write_headers" => true } } }"#
        _ = try await h.run(plain, events: [event(["lag": 5, "a": ["b": "x"]])])
        #expect(d.read("p.csv") == "lag,[a][b]\n5,x\n")
    }

    @Test func aSprintfPathWritesEachTopicToItsOwnFileWithItsOwnHeader() async throws {
        let d = try TempDir("csv-out")
        defer { d.remove() }
        let config = #"output { csv { path => "\#(d.path)/grafana/%{topic}.lag" fields => ["lag", "time"] csv_options => { "write_headers" => true } } }"#
        let events = [
            event(["topic": "orders", "lag": 1, "time": "a"]), event(["topic": "users", "lag": 7, "time": "b"]),
            event(["topic": "orders", "lag": 2, "time": "c"]),
        ]
        _ = try await standardHarness(pathData: d("data"), workers: 2).run(config, events: events, chunkSize: 1)
        #expect(try pythonRows(d("grafana/orders.lag")) == [["lag", "time"], ["1", "a"], ["2", "c"]])
        #expect(try pythonRows(d("grafana/users.lag")) == [["lag", "time"], ["7", "b"]])
    }

    @Test func spreadsheetSafePrefixesFormulaStringsAsLogstashDoes() async throws {
        let d = try TempDir("csv-out")
        defer { d.remove() }
        let cells: [Value] = ["=SUM(A1:A2)", "+1", "-2", "@cmd", "ok", .int(-5), .double(-1.5), "a=b"]
        let events = cells.map { event(["v": $0]) }
        for (safe, file) in [("true", "safe.csv"), ("false", "raw.csv")] {
            let config = #"output { csv { path => "\#(d(file))" fields => ["v"] spreadsheet_safe => \#(safe) } }"#
            _ = try await standardHarness(pathData: d("data")).run(config, events: events)
        }
        #expect(try pythonRows(d("safe.csv")).map { $0[0] } == ["'=SUM(A1:A2)", "'+1", "'-2", "'@cmd", "ok", "-5", "-1.5", "a=b"])
        #expect(try pythonRows(d("raw.csv")).map { $0[0] } == ["=SUM(A1:A2)", "+1", "-2", "@cmd", "ok", "-5", "-1.5", "a=b"])
    }

    @Test func settingsAreChecked() {
        let h = standardHarness(pathData: "/nonexistent")
        #expect(h.check(#"output { csv { path => "x" } }"#) != nil, "fields is required")
        let unknown = h.check(#"output { csv { path => "x" fields => ["a"] csv_options => { "colsep" => ";" } } }"#)
        #expect(unknown?.description.contains("unknown option `colsep`") == true)
        let headers = h.check(#"output { csv { path => "x" fields => ["a", "b"] csv_options => { "write_headers" => true "headers" => ["A"] } } }"#)
        #expect(headers?.description.contains("1 names for 2 fields") == true)
        #expect(h.check(#"output { csv { path => "x" fields => ["a"] csv_options => { "quote_char" => "ab" } } }"#) != nil)
        #expect(h.check(#"output { csv { path => "x" fields => ["a", "[b][c]"] } }"#) == nil)
    }
}
