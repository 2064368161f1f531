import Foundation
import SluiceCore
import SluiceTesting
import Testing
@testable import ElasticsearchPlugins

/// Every test that drives the fixtures, one at a time: they reset the same servers.
@Suite(.serialized) enum ElasticsearchFixtureTests {}

/// One Elasticsearch fixture (Tests/Fixtures/es_fixture.py): its URL, its control API, and an
/// independent reader (Python `requests` in .venv) for what Sluice wrote.
struct ESFixture {
    let name: String
    let url: String
    let control: String

    /// Resets the fixture (indices, templates, injections, counters).
    init(_ name: String = "elasticsearch") throws {
        self.name = name
        url = try TestServices.url(name)
        control = try TestServices.url(name + "_control")
        try post("reset", [:])
    }

    var hostPort: String { String(url.dropFirst("http://".count)) }

    /// POSTs a control command (`item_errors`, `request_errors`, `drop`, `latency`, `store`, `reset`).
    func post(_ command: String, _ body: [String: Any]) throws {
        _ = try python("""
            import json, sys, requests
            r = requests.post(sys.argv[1], json=json.loads(sys.argv[2]), timeout=10)
            r.raise_for_status()
            """, [control + "/" + command, String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)])
    }

    /// `GET path` on the fixture (as a plain client would), decoded.
    func get(_ path: String, auth: String? = nil) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(try python("""
            import json, sys, requests
            r = requests.get(sys.argv[1], timeout=30, **({"auth": tuple(sys.argv[2].split(":", 1))} if len(sys.argv) > 2 else {}))
            print(json.dumps(r.json()))
            """, [url + path] + (auth.map { [$0] } ?? [])).utf8))
    }

    /// `_count` of `index`.
    func count(_ index: String, auth: String? = nil) throws -> Int {
        ((try get("/\(index)/_count", auth: auth) as? [String: Any])?["count"] as? Int) ?? -1
    }

    /// Every document of `index` as (id, version, source), read with `_search` and `GET _doc`.
    func documents(_ index: String) throws -> [(id: String, version: Int, source: [String: Any])] {
        let out = try python("""
            import json, sys, requests
            base, index = sys.argv[1], sys.argv[2]
            hits = requests.post(f"{base}/{index}/_search", json={"size": 1000000}, timeout=60).json()["hits"]["hits"]
            docs = []
            for h in hits:
                d = requests.get(f"{base}/{index}/_doc/{h['_id']}", timeout=10).json()
                docs.append({"id": h["_id"], "version": d["_version"], "source": d["_source"]})
            print(json.dumps(docs))
            """, [url, index])
        let list = (try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]]) ?? []
        return list.map { ($0["id"] as? String ?? "", $0["version"] as? Int ?? 0, $0["source"] as? [String: Any] ?? [:]) }
    }

    func counters() throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: Data(try python("""
            import sys, requests
            print(requests.get(sys.argv[1], timeout=10).text)
            """, [control + "/counters"]).utf8)) as? [String: Any]) ?? [:]
    }

    static var python: String {
        (try? TestServices.url("python")) ?? ".venv/bin/python"
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private func python(_ script: String, _ args: [String]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            throw Failure(description: "\(Self.python) is missing: run `scripts/services.sh start` (it creates .venv with `requests`)")
        }
        let r = try runProcess(Self.python, ["-c", script] + args)
        guard r.status == 0 else { throw Failure(description: "python exited \(r.status): \(r.stderr)") }
        return r.output
    }
}

func esHarness(_ logs: LogCapture? = nil, batchSize: Int = 125) -> PipelineHarness {
    var r = PluginRegistry()
    ElasticsearchPlugins.register(into: &r)
    var h = PipelineHarness(registry: r)
    h.settings.batchSize = batchSize
    if let logs { h.logger = logs.logger }
    return h
}

/// Small events: `n` (the sequence number) and a message.
func numbered(_ count: Int, from start: Int = 0) -> [Event] {
    (start..<(start + count)).map { i in
        var e = Event(message: "event \(i)")
        e.fields.set("n", .int(Int64(i)))
        return e
    }
}

/// The sample tweets (v1.1 shape, over 1,000 distinct field paths) as events.
func sampleTweets() throws -> [Event] {
    let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    let path = (parts.dropLast(3) + ["samples", "tweets", "v11.jsonl"]).joined(separator: "/")
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        guard case .object(let fields) = try JSON.decode(String(line)) else { throw ESFixture.Failure(description: "not an object") }
        return Event(fields: fields)
    }
}

func ints(_ docs: [(id: String, version: Int, source: [String: Any])], _ key: String) -> [Int] {
    docs.compactMap { $0.source[key] as? Int }.sorted()
}
