import Foundation
import SluiceTesting
import Testing

/// The `http` output through the `sluice` binary: `check` never connects, and a SIGTERM while
/// the endpoint is down ends within `pipeline.shutdown_timeout` without losing anything.
@Suite(.serialized) struct HTTPOutputCLITests {
    @Test func checkWithAnEndpointOnAClosedPortReturnsAtOnce() throws {
        let port = try closedPort()
        let begin = ContinuousClock.now
        let out = try CLI.run(["check", "-e", """
            input { stdin { } }
            output { http { url => "http://127.0.0.1:\(port)/x" http_method => "post" format => "ndjson" } }
            """])
        #expect(out.status == 0, "\(out.stderr)")
        // A check that connected would retry the closed port with backoff for far longer; a
        // process start takes well under this even on a loaded machine.
        #expect(ContinuousClock.now - begin < .seconds(5))
    }

    @Test func aStartThatCannotSucceedExitsOneNamingThePluginItsPlaceAndTheCause() throws {
        let begin = ContinuousClock.now
        let out = try CLI.run(["-e", """
            input { generator { count => 1 } }
            output {
              http { id => "to_api" url => "https://127.0.0.1:1/x" http_method => "post"
                     ssl_certificate_authorities => ["/nonexistent/ca.pem"] }
            }
            """, "--log.level", "error"])
        #expect(out.status == 1)
        #expect(out.stderr.contains("output to_api (config string:3:3) could not start"), "\(out.stderr)")
        #expect(out.stderr.contains("/nonexistent/ca.pem"))
        #expect(ContinuousClock.now - begin < .seconds(5), "a permanent failure is not retried")
    }

    @Test func sigtermWhileTheEndpointIsDownEndsWithinTheTimeoutAndARestartDeliversEverything() async throws {
        let sink = try HTTPSink()
        let dir = try CLI.tempDir()
        try "queue.type: persisted\npath.data: \(dir)/data\npipeline.shutdown_timeout: 3s\n"
            .write(toFile: "\(dir)/sluice.yml", atomically: true, encoding: .utf8)
        let lines = (0..<200).map { "line \($0)" }
        let port = try closedPort()

        // Run 1: the endpoint is down. Every line reaches the persistent queue, none is delivered.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["--path.settings", dir, "--log.level", "warn", "-e", """
            input { stdin { } }
            output { http { url => "http://127.0.0.1:\(port)/x" http_method => "post" format => "ndjson" } }
            """]
        let stdin = Pipe(), stderr = Pipe()
        p.standardInput = stdin
        p.standardOutput = FileHandle.nullDevice
        p.standardError = stderr
        try p.run()
        stdin.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try stdin.fileHandleForWriting.close()
        await CLI.pause(2)
        #expect(p.isRunning, "it keeps retrying while the endpoint is down")
        let begin = ContinuousClock.now
        kill(p.processIdentifier, SIGTERM)
        await CLI.exit(of: p)
        let took = ContinuousClock.now - begin
        let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0, "\(log)")
        #expect(took >= .seconds(3) && took < .seconds(6), "exited after \(took)")
        #expect(log.contains("pipeline.shutdown_timeout"), "the exit names what was left: \(log)")
        #expect(log.contains("connection refused"))

        // Run 2: the endpoint is up; nothing new on stdin. The queue delivers what run 1 kept.
        let out = try CLI.run(["--path.settings", dir, "--log.level", "warn", "-e", """
            input { stdin { } }
            output { http { url => "\(sink.url("/pq"))" http_method => "post" format => "ndjson" } }
            """], stdin: "")
        #expect(out.status == 0, "\(out.stderr)")
        let delivered = try sink.requests("/pq").flatMap { r -> [String] in
            (r["body"] as? String ?? "").split(separator: "\n").compactMap { line in
                let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                return obj?["message"] as? String
            }
        }
        #expect(delivered.sorted() == lines.sorted(), "every line once: \(delivered.count) delivered")
    }
}
