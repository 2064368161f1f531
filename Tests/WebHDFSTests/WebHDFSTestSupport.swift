import Foundation
import SluiceCore
import SluiceTesting
@testable import WebHDFSPlugins

/// The WebHDFS fixture (Tests/Fixtures/webhdfs_fixture.py): its namenodes, its control port
/// (driven with curl), and the PyPI `hdfs` client (in .venv) that reads back what Sluice wrote.
struct WebHDFSFixture {
    let namenode: String
    let standby: String
    let control: String
    /// An HDFS directory of this test's own.
    let root = "/t\(UInt32.random(in: 0...UInt32.max))"

    init() throws {
        namenode = try TestServices.url("webhdfs_namenode")
        standby = try TestServices.url("webhdfs_standby")
        control = try TestServices.url("webhdfs_control")
        try post("/reset", [:])
    }

    var port: String { String(namenode.split(separator: ":").last ?? "") }
    var standbyPort: String { String(standby.split(separator: ":").last ?? "") }

    func post(_ path: String, _ body: [String: Any]) throws {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        _ = try run("/usr/bin/curl", ["-sS", "--fail", "--noproxy", "*", "--max-time", "10", "-X", "POST",
                                      "--data-binary", json, control + path])
    }

    /// Requests the fixture recorded since the last reset, oldest first.
    func ops() throws -> [[String: Any]] {
        let out = try run("/usr/bin/curl", ["-sS", "--fail", "--noproxy", "*", "--max-time", "10", control + "/ops"])
        return (try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]]) ?? []
    }

    /// Every file under `dir` (recursively) and its content, gunzipped when gzip, read with
    /// the `hdfs` client.
    func files(_ dir: String) throws -> [String: String] {
        let script = """
            import gzip, json, sys, hdfs
            c = hdfs.InsecureClient(sys.argv[1], user="reader")
            out = {}
            for base, dirs, files in c.walk(sys.argv[2]):
                for f in files:
                    p = base.rstrip("/") + "/" + f
                    with c.read(p) as r:
                        data = r.read()
                    if data[:2] == b"\\x1f\\x8b":
                        data = gzip.decompress(data)
                    out[p] = data.decode("utf-8")
            print(json.dumps(out))
            """
        // Both namenodes (the client's HA form, "url1;url2"): it reads from the active one.
        let out = try run(Self.python, ["-c", script, namenode + ";" + standby, dir])
        return (try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: String]) ?? [:]
    }

    /// All lines of all files under `dir`.
    func lines(_ dir: String) throws -> [String] {
        try files(dir).values.flatMap { $0.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
    }

    static var python: String {
        let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        return (parts.dropLast(3) + [".venv", "bin", "python"]).joined(separator: "/")
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private func run(_ tool: String, _ args: [String]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw Failure(description: "\(tool) is missing: run `scripts/services.sh start` (it creates .venv with the `hdfs` client)")
        }
        let r = try runProcess(tool, args)
        guard r.status == 0 else {
            throw Failure(description: "\(tool) \(args.first ?? "") exited \(r.status): \(r.stderr)")
        }
        return r.output
    }
}

func webhdfsHarness(_ logs: LogCapture? = nil) -> PipelineHarness {
    var r = PluginRegistry()
    WebHDFSPlugins.register(into: &r)
    var h = PipelineHarness(registry: r)
    h.settings.batchSize = 125
    if let logs { h.logger = logs.logger }
    return h
}

func lineEvents(_ n: Int, prefix: String = "row") -> [Event] {
    (0..<n).map { Event(message: "\(prefix) \($0)") }
}
