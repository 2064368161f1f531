import Foundation
import Synchronization
import SluiceCore
import SluiceTesting
import Testing
@testable import GoogleCloudPlugins

/// `google_bigquery` with `load_from_gcs_bucket`: objects in the GCS emulator (written by the
/// google_cloud_storage output, or uploaded here over the JSON API) are loaded by load jobs of
/// bqemulator, which reads the GCS emulator's file storage (scripts/services.sh), and read back
/// with `/queries` by the independent Python client.
@Suite(.serialized) struct BigQueryLoadTests {
    let bq: BigQueryFixture
    let gcs: GCSFixture
    let stateDir: String

    init() throws {
        bq = try BigQueryFixture()
        gcs = try GCSFixture()
        stateDir = try GoogleTest.temporaryDirectory("bqload")
    }

    /// A pipeline whose only output is the loader (an input that emits nothing until stopped).
    func loader(_ table: String, _ logs: LogCapture, _ extra: String = "") throws -> PipelineHarness.Running {
        var h = bigqueryHarness(logs)
        h.registry.register(IdleInput.self)
        h.settings.pathData = stateDir
        return try h.start("""
            input { idle {} }
            output { google_bigquery { endpoint => "\(bq.url)" project_id => "\(bq.project)" dataset => "\(bq.dataset)"
                     table_prefix => "\(table)" date_pattern => "" id => "loader"
                     load_from_gcs_bucket => "\(gcs.bucket)" load_from_gcs_prefix => "logs/"
                     load_from_gcs_endpoint => "\(gcs.emulator)" load_interval_secs => 0.2 \(extra) } }
            """)
    }

    func ids(_ table: String) throws -> [String] {
        try bq.query("SELECT id FROM \(bq.table(table))").compactMap { $0["id"] as? String }
    }

    /// Uploads `lines` gzipped as one object, over the JSON API (media upload), with Python.
    func upload(_ name: String, _ lines: [String]) throws {
        let script = """
            import gzip, sys, urllib.parse, urllib.request
            base, bucket, name, body = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
            url = f"{base}/upload/storage/v1/b/{bucket}/o?uploadType=media&name={urllib.parse.quote(name, safe='')}"
            req = urllib.request.Request(url, data=gzip.compress(body.encode()), method="POST",
                                         headers={"Content-Type": "application/x-ndjson"})
            urllib.request.urlopen(req).read()
            """
        try GoogleTest.run(try TestServices.path("python"),
                           ["-c", script, gcs.emulator, gcs.bucket, name, lines.joined(separator: "\n") + "\n"])
    }

    func loadedList() -> [String] {
        let text = (try? String(contentsOfFile: stateDir + "/google_bigquery/loader.loaded", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    @Test func objectsOfTheGCSOutputAreLoadedOnceAcrossRestarts() async throws {
        // The google_cloud_storage output writes 300 events as gzipped JSON lines.
        var events: [Event] = []
        for i in 0..<300 {
            var e = Event(message: "event \(i)")
            e.fields.set("id", .string("e\(i)"))
            e.fields.set("n", .int(Int64(i)))
            events.append(e)
        }
        var r = PluginRegistry()
        GoogleCloudPlugins.register(into: &r)
        var h = PipelineHarness(registry: r)
        h.settings.pathData = stateDir
        let written = try await h.run("""
            output { google_cloud_storage { endpoint => "\(gcs.emulator)" bucket => "\(gcs.bucket)" log_file_prefix => "logs/app"
                     gzip => true output_format => "json" include_hostname => false max_file_size_kbytes => 8 } }
            """, events: events, chunkSize: 100)
        #expect(written.acks.allSatisfy { $0 == .delivered })
        let objects = try gcs.objects()
        #expect(objects.count >= 2 && objects.allSatisfy { $0.name.hasPrefix("logs/app") && $0.name.hasSuffix(".gz") },
                "several gzipped objects: \(objects.map(\.name))")

        let logs = LogCapture()
        let first = try loader("loaded", logs, #"json_schema => { fields => [{name => "id" type => "STRING"}, {name => "n" type => "INT64"}, {name => "message" type => "STRING"}] }"#)
        let all = await eventually(timeout: .seconds(60), every: .milliseconds(300)) { loadedList().count == objects.count }
        first.stop()
        _ = try await first.finish()
        #expect(all, "every object loaded: \(loadedList()) \(logs.all)")
        var ids = try self.ids("loaded")
        #expect(ids.count == 300 && Set(ids) == Set((0..<300).map { "e\($0)" }), "each event once: \(ids.count)")
        let sum = try bq.query("SELECT SUM(n) AS s FROM \(bq.table("loaded"))").first?["s"] as? String
        #expect(sum == String((0..<300).reduce(0, +)), "the values, not only the ids")

        // A restart loads the new object and none of the old ones again.
        try upload("logs/later.json.gz", (0..<5).map { #"{"id":"late\#($0)","n":1,"message":"m"}"# })
        let second = try loader("loaded", logs, #"json_schema => { fields => [{name => "id" type => "STRING"}, {name => "n" type => "INT64"}, {name => "message" type => "STRING"}] }"#)
        let late = await eventually(timeout: .seconds(30), every: .milliseconds(300)) { loadedList().contains("logs/later.json.gz") }
        try await Task.sleep(for: .seconds(1))  // a few more rounds
        second.stop()
        _ = try await second.finish()
        #expect(late)
        ids = try self.ids("loaded")
        #expect(ids.count == 305 && Set(ids).count == 305, "old objects not loaded again: \(ids.count)")
        #expect(loadedList().count == objects.count + 1)
    }

    @Test func aBadObjectIsReportedWithTheJobErrorAndNotMarkedLoaded() async throws {
        try upload("logs/a-good.json.gz", (0..<10).map { #"{"id":"g\#($0)","n":\#($0)}"# })
        try upload("logs/b-bad.json.gz", [#"{"id":"b0","n":0}"#, #"{"id":"b1", this is not json"#])
        let logs = LogCapture()
        let running = try loader("bad", logs, "load_max_bad_records => 0")
        let reported = await eventually(timeout: .seconds(60), every: .milliseconds(300)) {
            logs.entries.contains { $0.level == .error && $0.message.contains("gs://\(gcs.bucket)/logs/b-bad.json.gz") }
        }
        // More rounds: the bad object is tried again, the good one is not.
        let retried = await eventually(timeout: .seconds(30), every: .milliseconds(300)) {
            logs.entries.filter { $0.level == .error }.count >= 2
        }
        running.stop()
        _ = try await running.finish()
        #expect(reported, "the failed job is logged with the object: \(logs.all)")
        let error = logs.entries.first { $0.level == .error }?.message ?? ""
        #expect(error.contains("load job") && error.contains("failed: invalid"), "BigQuery's errorResult: \(error)")
        #expect(loadedList() == ["logs/a-good.json.gz"])
        let ids = try self.ids("bad")
        #expect(ids.count == 10 && Set(ids) == Set((0..<10).map { "g\($0)" }), "the good object once, nothing of the bad one: \(ids)")
        #expect(retried, "tried again each round: \(logs.all)")
    }

    @Test func aLostStateFileDoesNotLoadTwice() async throws {
        // The job id follows from the table and the object: after a crash that lost the record
        // of a finished job, the restart finds the job and does not load again.
        try upload("logs/one.json.gz", (0..<7).map { #"{"id":"x\#($0)"}"# })
        let logs = LogCapture()
        let first = try loader("lost", logs)
        let loaded = await eventually(timeout: .seconds(30), every: .milliseconds(300)) { loadedList() == ["logs/one.json.gz"] }
        first.stop()
        _ = try await first.finish()
        #expect(loaded, "\(logs.all)")
        try FileManager.default.removeItem(atPath: stateDir + "/google_bigquery/loader.loaded")
        let second = try loader("lost", logs)
        let again = await eventually(timeout: .seconds(30), every: .milliseconds(300)) { loadedList() == ["logs/one.json.gz"] }
        second.stop()
        _ = try await second.finish()
        #expect(again)
        #expect(logs.all.contains("was loaded by job"))
        #expect(try ids("lost").count == 7)
    }
}

/// An input that emits nothing and runs until the pipeline stops it.
final class IdleInput: InputPlugin {
    static let pluginName = "idle"
    static let summary = "Test input: emits nothing until stopped."
    static let settingSpecs: [SettingSpec] = []
    private let stopped = Mutex(false)

    init(settings: PluginSettings, context: PluginContext) {}

    func run(into sink: EventSink) async throws {
        while !stopped.withLock({ $0 }) && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    func stop() { stopped.withLock { $0 = true } }
}
