import Foundation
import SluiceCore
import SluiceTesting
import StandardPlugins
import Testing
@testable import GoogleCloudPlugins

/// The `google_cloud_storage` output against gcp-storage-emulator (and its fault proxy), read
/// back over the JSON API by Python.
@Suite(.serialized) struct GCSOutputTests {
    let gcs: GCSFixture
    init() throws { gcs = try GCSFixture() }

    func harness(_ logs: LogCapture? = nil) -> PipelineHarness {
        var r = PluginRegistry()
        GoogleCloudPlugins.register(into: &r)
        StandardPlugins.register(into: &r)
        var h = PipelineHarness(registry: r)
        h.settings.batchSize = 125
        // Two workers: batches share files (with one ordered worker each batch is its own file).
        h.settings.workers = 2
        if let logs { h.logger = logs.logger }
        return h
    }

    func staged(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    @Test func everySampleTweetLandsOnceAsGzippedJSONLines() async throws {
        let (events, ids) = try GoogleTest.sampleTweets()
        let dir = try GoogleTest.temporaryDirectory("gcs-tweets")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let logs = LogCapture()
        // The seed's settings (a `.p12` key there; the emulator here), small files so there are several.
        let config = """
            output { google_cloud_storage { endpoint => "\(gcs.emulator)" bucket => "\(gcs.bucket)" temp_directory => "\(dir)"
                     log_file_prefix => "twitter" codec => json_lines gzip => true max_file_size_kbytes => 300
                     output_format => "json" } }
            """
        let result = try await harness(logs).run(config, events: events, chunkSize: 125)
        #expect(result.acks.count == 8 && result.acks.allSatisfy { $0 == .delivered })
        let objects = try gcs.objects()
        #expect(objects.count >= 2, "max_file_size_kbytes rolls files: \(objects.map(\.name))")
        #expect(objects.allSatisfy { $0.gzipped && $0.name.hasSuffix(".log.gz") && $0.name.hasPrefix("twitter_") })
        let lines = objects.flatMap(\.lines)
        let got = try lines.map { line -> String in
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return o?["id_str"] as? String ?? "?"
        }
        #expect(got.count == 1000 && got.sorted() == ids.sorted(), "each tweet exactly once")
        #expect(staged(dir).isEmpty, "staged files are deleted once uploaded: \(staged(dir))")
        let first = try JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any]
        #expect(first?["@timestamp"] != nil && (first?["entities"] as? [String: Any]) != nil, "whole tweets, json lines")
    }

    /// Logstash's names, the line codec, and a service-account key: every request carries a
    /// token from the token fixture, and no token reaches the logs.
    @Test func plainLinesWithNamesAndAServiceAccountKey() async throws {
        let dir = try GoogleTest.temporaryDirectory("gcs-plain")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tokens = try TokenFixture()
        let key = try TestKeyPair(email: "gcs-\(UInt32.random(in: 0...UInt32.max))@p.iam.gserviceaccount.com")
        try tokens.register(key)
        let config = """
            output { google_cloud_storage { endpoint => "\(gcs.faulty)" bucket => "\(gcs.bucket)" temp_directory => "\(dir)"
                     json_key_file => "\(try key.jsonKeyFile(tokenURI: tokens.tokenURI))"
                     log_file_prefix => "logs/app" date_pattern => "%Y%m%d" include_hostname => false include_uuid => true
                     codec => line { format => "%{message}" } } }
            """
        let logs = LogCapture()
        let events = (0..<300).map { Event(message: "row \($0)") }
        _ = try await harness(logs).run(config, events: events)
        let objects = try gcs.objects()
        let day = GoogleDatePattern.format("%Y%m%d", .now())
        #expect(!objects.isEmpty && objects.allSatisfy { o in
            o.name.hasPrefix("logs/app_\(day).part") && o.name.hasSuffix(".log") && !o.gzipped
                && o.name.split(separator: ".").count == 4  // NAME.partNNN.UUID.log
        }, "\(objects.map(\.name))")
        #expect(objects.flatMap(\.lines).sorted() == (0..<300).map { "row \($0)" }.sorted())
        let requests = try gcs.proxyLog()
        #expect(!requests.isEmpty && requests.allSatisfy { $0["bearer"] as? Bool == true }, "every request is authorized")
        let issued = try tokens.log(key.email).compactMap { $0["token"] as? String }
        #expect(issued.count == 1)
        for token in issued { #expect(!logs.all.contains(token)) }
        #expect(!logs.all.contains("PRIVATE KEY"))
    }

    /// The connection drops in the middle of the second chunk: the output asks the session how
    /// far it got and goes on from there, in the same session.
    @Test func interruptedUploadResumesFromTheConfirmedByte() async throws {
        let dir = try GoogleTest.temporaryDirectory("gcs-cut")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Several cuts in a row: libcurl itself sends a request again once when a kept-alive
        // connection dies, so the output's own recovery is reached only past those.
        try gcs.fault("cut", nth: 2, times: 4)
        let config = """
            output { google_cloud_storage { endpoint => "\(gcs.faulty)" bucket => "\(gcs.bucket)" temp_directory => "\(dir)"
                     codec => line { format => "%{message}" } upload_chunk_size => 262144 flush_interval_secs => 0.5 } }
            """
        // ~1 MiB in one file: four chunks.
        let pad = String(repeating: "x", count: 1000)
        let events = (0..<1000).map { Event(message: "row \($0) \(pad)") }
        let result = try await harness().run(config, events: events)
        #expect(result.acks.allSatisfy { $0 == .delivered })
        let log = try gcs.proxyLog()
        let sessions = log.filter { $0["method"] as? String == "POST" && ($0["path"] as? String ?? "").contains("uploadType=resumable") }
        let puts = log.filter { $0["method"] as? String == "PUT" }
        let ranges = puts.map { ($0["content_range"] as? String ?? "-") + " " + "\($0["status"] ?? "-")" }
        let firstCut = try #require(puts.firstIndex { $0["status"] as? String == "cut" }, "\(ranges)")
        #expect((puts[firstCut]["content_range"] as? String ?? "").hasPrefix("bytes 262144-524287/"), "the second chunk was cut: \(ranges)")
        let after = puts[(firstCut + 1)...]
        #expect(after.contains { ($0["content_range"] as? String ?? "").hasPrefix("bytes */") && $0["status"] as? Int == 308 },
                "the session was asked how far it got: \(ranges)")
        let sent = after.filter { $0["status"] as? String != "cut" && ($0["length"] as? Int ?? 0) > 0 }
        let resumed = sent.first.flatMap { $0["content_range"] as? String } ?? ""
        #expect(resumed.hasPrefix("bytes 262144-"), "resumed at the confirmed byte: \(ranges)")
        #expect(!sent.contains { ($0["content_range"] as? String ?? "").hasPrefix("bytes 0-") }, "never from the start: \(ranges)")
        #expect(sessions.count == (try gcs.objects()).count, "no new session for the interrupted file")
        #expect(try gcs.objects().flatMap(\.lines).sorted() == (0..<1000).map { "row \($0) \(pad)" }.sorted())
        #expect(staged(dir).isEmpty)
    }

    /// A session GCS forgot (410) is started again from byte 0.
    @Test func expiredSessionStartsOver() async throws {
        let dir = try GoogleTest.temporaryDirectory("gcs-gone")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try gcs.fault("gone", nth: 2)
        let config = """
            output { google_cloud_storage { endpoint => "\(gcs.faulty)" bucket => "\(gcs.bucket)" temp_directory => "\(dir)"
                     codec => line { format => "%{message}" } upload_chunk_size => 262144 flush_interval_secs => 0.5 } }
            """
        let pad = String(repeating: "y", count: 1000)
        let events = (0..<1000).map { Event(message: "row \($0) \(pad)") }
        _ = try await harness().run(config, events: events)
        let log = try gcs.proxyLog()
        let sessions = log.filter { $0["method"] as? String == "POST" && ($0["path"] as? String ?? "").contains("uploadType=resumable") }
        let objects = try gcs.objects()
        #expect(sessions.count == objects.count + 1, "one new session after the 410")
        let statuses = log.filter { $0["method"] as? String == "PUT" }.map { "\($0["content_range"] ?? "-") \($0["status"] ?? "-")" }
        let gone = try #require(statuses.firstIndex { $0.hasSuffix(" 410") }, "\(statuses)")
        #expect(statuses.dropFirst(gone + 1).first?.hasPrefix("bytes 0-") == true, "started over from byte 0: \(statuses)")
        #expect(objects.flatMap(\.lines).sorted() == (0..<1000).map { "row \($0) \(pad)" }.sorted())
    }

    /// The first chunk is cut: the session has no byte yet, and the upload still completes.
    @Test func uploadCutInItsFirstChunkCompletes() async throws {
        let dir = try GoogleTest.temporaryDirectory("gcs-cut1")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try gcs.fault("cut", nth: 1, times: 2)
        let config = """
            output { google_cloud_storage { endpoint => "\(gcs.faulty)" bucket => "\(gcs.bucket)" temp_directory => "\(dir)"
                     codec => line { format => "%{message}" } upload_chunk_size => 262144 flush_interval_secs => 0.5 } }
            """
        let events = (0..<500).map { Event(message: "row \($0) \(String(repeating: "z", count: 1000))") }
        let result = try await harness().run(config, events: events)
        #expect(result.acks.allSatisfy { $0 == .delivered } && result.deadLetters.isEmpty)
        #expect(try gcs.objects().flatMap(\.lines).count == 500)
        #expect(try gcs.proxyLog().contains { $0["status"] as? String == "cut" })
        #expect(staged(dir).isEmpty)
    }

    /// A refusal no retry can fix (403): the staged file is kept aside (never deleted, never
    /// uploaded again) and its events go to the dead-letter queue with GCS's reason.
    @Test func aPermanentRefusalSetsTheFileAsideAndDeadLettersItsEvents() async throws {
        let dir = try GoogleTest.temporaryDirectory("gcs-403")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try gcs.fault("forbid", nth: 1)
        let config = """
            output { google_cloud_storage { endpoint => "\(gcs.faulty)" bucket => "\(gcs.bucket)" temp_directory => "\(dir)"
                     codec => line { format => "%{message}" } flush_interval_secs => 0.2 } }
            """
        let result = try await harness().run(config, events: (0..<200).map { Event(message: "row \($0)") })
        #expect(result.deadLetters.count == 200)
        #expect(result.deadLetters.allSatisfy { $0.reason.contains("HTTP 403") && $0.reason.contains("storage.objects.create") })
        #expect(try gcs.objects().isEmpty)
        let aside = staged(dir).filter { $0.hasSuffix(".data.failed") }
        #expect(!aside.isEmpty && staged(dir).allSatisfy { $0.hasSuffix(".failed") }, "\(staged(dir))")
        let kept = try aside.flatMap { try String(contentsOfFile: dir + "/" + $0, encoding: .utf8).split(separator: "\n") }
        #expect(kept.count == 200)
    }

    /// kill -9 of the real binary while a file is staged (its upload not due yet), then a
    /// restart: the staged file is uploaded, once, and the new run's events too.
    @Test func stagedFilesLeftByKillNineAreUploadedAtRestart() async throws {
        let dir = try GoogleTest.temporaryDirectory("gcs-kill")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func output(_ extra: String) -> String {
            """
            output { google_cloud_storage { bucket => "\(gcs.bucket)" temp_directory => "\(dir)/staged" log_file_prefix => "kill"
                     codec => json_lines gzip => true \(extra) } }
            """
        }
        let first = "input { generator { count => 500 message => \"first\" } }\n"
            + output("flush_interval_secs => 3600 uploader_interval_secs => 3600")
        let second = "input { generator { count => 1 message => \"second\" } }\n" + output("flush_interval_secs => 0.5")
        try first.write(toFile: dir + "/first.conf", atomically: true, encoding: .utf8)
        try second.write(toFile: dir + "/second.conf", atomically: true, encoding: .utf8)
        func start(_ conf: String) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: SluiceBinary.path)
            p.arguments = ["-f", dir + "/" + conf, "--path.data", dir + "/data", "--log.level", "error"]
            // Google's emulator convention: no endpoint setting, no credentials.
            p.environment = ProcessInfo.processInfo.environment.merging(["STORAGE_EMULATOR_HOST": gcs.emulator]) { $1 }
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        func stagedBytes() -> Int {
            staged(dir + "/staged").filter { $0.hasSuffix(".data") }.reduce(0) { sum, name in
                sum + (((try? FileManager.default.attributesOfItem(atPath: dir + "/staged/" + name))?[.size] as? Int) ?? 0)
            }
        }
        let p = try start("first.conf")
        // All 500 events are staged (4 batches; gzip members), none uploaded.
        var last = -1
        let settled = await eventually(timeout: .seconds(30), every: .milliseconds(300)) {
            let now = stagedBytes()
            defer { last = now }
            return now > 0 && now == last
        }
        #expect(settled, "the first run staged its events")
        // Its input is done, but the run cannot end: no event is acknowledged before its upload.
        #expect(p.isRunning)
        kill(p.processIdentifier, SIGKILL)
        while p.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(try gcs.objects().isEmpty, "nothing was uploaded before the kill")
        let left = staged(dir + "/staged")
        #expect(left.contains { $0.hasSuffix(".data") } && left.contains { $0.hasSuffix(".json") }, "\(left)")

        let q = try start("second.conf")
        let exited = await eventually(timeout: .seconds(60), every: .milliseconds(100)) { !q.isRunning }
        #expect(exited && q.terminationStatus == 0)
        if q.isRunning { kill(q.processIdentifier, SIGKILL) }
        let records = try gcs.objects().flatMap(\.lines).map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        func sequence(_ r: [String: Any]) -> Int? { (r["sequence"] ?? (r["event"] as? [String: Any])?["sequence"]) as? Int }
        let firsts = records.filter { $0["message"] as? String == "first" }.compactMap(sequence)
        #expect(firsts.sorted() == Array(0..<500), "every staged event, once")
        #expect(records.filter { $0["message"] as? String == "second" }.count == 1)
        #expect(records.count == 501)
        #expect(staged(dir + "/staged").isEmpty)
    }
}
