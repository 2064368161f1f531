import Foundation
import SluiceCore
import SluiceTesting
import Testing

/// In `TwitterStreamTests` (serialized): the fixture's cursor and limit are global.
extension TwitterStreamTests {
    /// The shipped pipeline run by the binary against the Twitter fixture and the Kafka mock:
    /// the same tweets, each once, in the daily files and in the topic (read back with kcat).
    @Test func shippedPipelineStreamsTweetsIntoFilesAndKafka() async throws {
        let twitter = try TestServices.url("twitter")
        let control = try TestServices.url("twitter_control")
        let kafka = try TestServices.url("kafka")
        func curl(_ args: [String]) throws -> String {
            let r = try runProcess("/usr/bin/curl", ["-sS", "--fail", "--noproxy", "*", "--max-time", "10"] + args)
            guard r.status == 0 else { throw TwitterFixture.Failure(description: "curl: \(r.stderr)") }
            return r.output
        }
        _ = try curl(["-X", "POST", control + "/reset"])
        _ = try curl(["-X", "POST", "--data-binary", #"{"tweets": 12}"#, control + "/limit"])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("seed2-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let topic = "twitter-e2e-\(UInt32.random(in: 0...UInt32.max))"

        let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        let root = parts.dropLast(3).joined(separator: "/")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: SluiceBinary.path)
        p.arguments = ["-f", root + "/pipelines/seed2/twitter-to-kafka.conf", "--path.data", dir + "/data"]
        var env = ProcessInfo.processInfo.environment
        env.merge(["TWITTER_API": twitter, "TWITTER_BEARER_TOKEN": try TestServices.url("twitter_bearer_token"),
                   "KAFKA_BOOTSTRAP": kafka, "TWITTER_KEYWORD": "python", "TWITTER_FILE_DIR": dir, "KAFKA_TOPIC": topic]) { $1 }
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { p.terminate() } }

        func fileIds() -> [String] {
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("twitter-") }.sorted()
            return files.flatMap { f in
                (FileIO.readFile(dir + "/" + f) ?? []).split(separator: 10).compactMap { line in
                    (try? JSON.decode(line))?.objectValue?["data"]?.objectValue?["id"]?.stringValue
                }
            }
        }
        func topicIds() -> [String] {
            guard let r = try? runProcess("/usr/bin/kcat", ["-b", kafka, "-C", "-t", topic, "-o", "beginning", "-e", "-q"]),
                  r.status == 0 else { return [] }
            return r.stdout.split(separator: 10).compactMap { line in
                (try? JSON.decode(line))?.objectValue?["data"]?.objectValue?["id"]?.stringValue
            }
        }
        let arrived = await eventually(timeout: .seconds(30), every: .milliseconds(250)) {
            fileIds().count >= 12 && topicIds().count >= 12
        }
        p.terminate()
        p.waitUntilExit()
        #expect(arrived, "file \(fileIds().count), topic \(topicIds().count)")

        // Independently: the sample's first twelve tweets with the word.
        let sample = (FileIO.readFile(root + "/samples/tweets/v2.jsonl") ?? []).split(separator: 10).compactMap { try? JSON.decode($0) }
        let expected = sample.filter { t in
            let text = t.objectValue?["data"]?.objectValue?["text"]?.stringValue?.lowercased() ?? ""
            return text.split { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "#" || $0 == "@") }.contains("python")
        }.prefix(12).compactMap { $0.objectValue?["data"]?.objectValue?["id"]?.stringValue }
        #expect(fileIds().sorted() == expected.sorted())
        // The topic has several partitions: the same tweets, each once, in no overall order.
        #expect(topicIds().sorted() == expected.sorted())
    }
}
