import Foundation
import GoogleCloudPlugins
import SluiceCore
import SluiceTesting

/// The BigQuery test service (bqemulator behind Tests/Fixtures/bigquery_emulator.py): its
/// fault-injection control, and reads through `/queries` with an independent Python client
/// (Tests/Fixtures/bq_client.py, standard library only).
struct BigQueryFixture {
    let url: String
    let project = "sluice-test"
    /// A dataset of this test's own.
    let dataset = "t\(UInt32.random(in: 0...UInt32.max))"

    init() throws {
        url = try TestServices.url("bigquery")
        try control("reset", [:])
    }

    func control(_ action: String, _ body: [String: Any]) throws {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        _ = try run("/usr/bin/curl", ["-sS", "--fail", "--noproxy", "*", "--max-time", "10", "-X", "POST",
                                      "-H", "Content-Type: application/json", "--data-binary", json, url + "/_fixture/" + action])
    }

    func stats() throws -> [String: Int] {
        let out = try run("/usr/bin/curl", ["-sS", "--fail", "--noproxy", "*", "--max-time", "10", url + "/_fixture/stats"])
        return (try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Int]) ?? [:]
    }

    /// Rows of a standard-SQL query, each a dictionary by column name.
    func query(_ sql: String) throws -> [[String: Any]] {
        let out = try run(Self.python, [Self.client, "query", url, project, sql])
        guard let result = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any],
              let fields = result["fields"] as? [String], let rows = result["rows"] as? [[Any]] else { return [] }
        return rows.map { Dictionary(uniqueKeysWithValues: zip(fields, $0)) }
    }

    /// The table's columns as tables.get returns them.
    func schema(_ table: String) throws -> [[String: Any]] {
        let out = try run(Self.python, [Self.client, "schema", url, project, dataset, table])
        return (try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]]) ?? []
    }

    func table(_ name: String) -> String { "`\(project).\(dataset).\(name)`" }

    /// An output block on this fixture; `extra` adds settings.
    func output(_ table: String, _ extra: String = "") -> String {
        """
        output { google_bigquery { endpoint => "\(url)" project_id => "\(project)" dataset => "\(dataset)"
                                   table_prefix => "\(table)" date_pattern => "" \(extra) } }
        """
    }

    static var root: String {
        let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        return parts.dropLast(3).joined(separator: "/")
    }
    static var python: String { root + "/.venv/bin/python" }
    static var client: String { root + "/Tests/Fixtures/bq_client.py" }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private func run(_ tool: String, _ args: [String]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw Failure(description: "\(tool) is missing: run `scripts/services.sh start` (it creates .venv)")
        }
        let r = try runProcess(tool, args)
        guard r.status == 0 else {
            throw Failure(description: "\(tool) \(args.prefix(2).joined(separator: " ")) exited \(r.status): \(r.stderr) \(r.stdout)")
        }
        return r.output
    }
}

func bigqueryHarness(_ logs: LogCapture? = nil, batchSize: Int = 125) -> PipelineHarness {
    var r = PluginRegistry()
    GoogleCloudPlugins.register(into: &r)
    var h = PipelineHarness(registry: r)
    h.settings.batchSize = batchSize
    if let logs { h.logger = logs.logger }
    return h
}

/// The 1,000 sample tweets (v1.1 format), as the json codec decodes them.
func sampleTweets() throws -> [Event] {
    let text = try String(contentsOfFile: BigQueryFixture.root + "/samples/tweets/v11.jsonl", encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        guard case .object(let fields) = try JSON.decode(String(line)) else { throw BigQueryFixture.Failure(description: "not an object") }
        return Event(fields: fields)
    }
}
