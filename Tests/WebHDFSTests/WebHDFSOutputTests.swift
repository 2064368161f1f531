import Foundation
import SluiceCore
import SluiceTesting
import Testing
@testable import WebHDFSPlugins

/// The `webhdfs` output against the WebHDFS fixture, read back with the PyPI `hdfs` client.
@Suite(.serialized) struct WebHDFSOutputTests {
    let hdfs: WebHDFSFixture
    init() throws { hdfs = try WebHDFSFixture() }

    /// An output block on the fixture's first namenode; `extra` adds settings.
    func output(_ path: String, _ extra: String = "") -> String {
        """
        output { webhdfs { host => "127.0.0.1" port => \(hdfs.port) user => "sluice" path => "\(path)"
                           codec => line { format => "%{message}" } retry_interval => 0.1 \(extra) } }
        """
    }

    @Test func everyEventArrivesOnceLineForLineThroughTwoStepWrites() async throws {
        let result = try await webhdfsHarness().run(output("\(hdfs.root)/a/events.log"), events: lineEvents(1000), chunkSize: 100)
        #expect(result.acks.count == 10 && result.acks.allSatisfy { $0 == .delivered })
        let ops = try hdfs.ops()
        let lines = try hdfs.lines(hdfs.root)
        #expect(lines.sorted() == (0..<1000).map { "row \($0)" }.sorted(), "each row exactly once")
        let files = try hdfs.files(hdfs.root)
        for (_, text) in files {
            let rows = text.split(separator: "\n").compactMap { Int($0.split(separator: " ").last ?? "") }
            #expect(rows == rows.sorted(), "a writer's file keeps the events' order")
        }
        let writes = ops.filter { ["CREATE", "APPEND"].contains($0["op"] as? String) }
        let atNamenode = writes.filter { $0["server"] as? String == "nn1" }
        let atDatanode = writes.filter { $0["server"] as? String == "datanode" }
        #expect(atNamenode.count == atDatanode.count && !atNamenode.isEmpty)
        #expect(atNamenode.allSatisfy { $0["status"] as? Int == 307 && $0["body_bytes"] as? Int == 0 },
                "the namenode gets no body and answers 307")
        #expect(atDatanode.allSatisfy { ($0["body_bytes"] as? Int ?? 0) > 0 }, "the datanode gets the bytes")
        #expect(ops.allSatisfy { $0["user"] as? String == "sluice" }, "user.name on every request")
        #expect(ops.contains { $0["op"] as? String == "MKDIRS" })
    }

    @Test func createsOnTheFirstBatchAndAppendsOnTheNext() async throws {
        let path = "\(hdfs.root)/one.log"
        var h = webhdfsHarness()
        h.settings.batchSize = 10
        let result = try await h.run(output(path, "single_file_per_thread => false"), events: lineEvents(30), chunkSize: 10)
        #expect(result.acks == [.delivered, .delivered, .delivered])
        let datanode = try hdfs.ops().filter { $0["server"] as? String == "datanode" }
        #expect(datanode.map { $0["op"] as? String ?? "" } == ["CREATE", "APPEND", "APPEND"])
        #expect(datanode.allSatisfy { $0["path"] as? String == path })
        #expect(try hdfs.files(hdfs.root)[path] == (0..<30).map { "row \($0)\n" }.joined())
    }

    @Test func flumePathEscapesRoundTheTimeAndFilesLoseTheirInUseSuffixOnClose() async throws {
        // The seed's HDFS sink: `/user/maria_dev/flume/%y-%m-%d/%H%M/%S`, rounded to 10 minutes,
        // filePrefix `events-`.
        func event(_ message: String, _ h: Int, _ m: Int, _ s: Int) -> Event {
            var e = Event(message: message)
            e.fields.set("@timestamp", .timestamp(Timestamp(year: 2026, month: 12, day: 7, hour: h, minute: m, second: s)))
            return e
        }
        let events = [event("a", 10, 3, 15), event("b", 10, 9, 59), event("c", 10, 10, 0), event("d", 10, 27, 1),
                      event("e", 23, 59, 59)]
        let logs = LogCapture()
        let result = try await webhdfsHarness(logs).run(output("\(hdfs.root)/flume/%y-%m-%d/%H%M/%S",
            #"file_prefix => "events-" round => true round_value => 10 round_unit => "minute""#), events: events)
        #expect(result.acks == [.delivered])
        let ops = try hdfs.ops()
        var byDir: [String: String] = [:]
        for (path, text) in try hdfs.files(hdfs.root) {
            let dir = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
            let name = path.split(separator: "/").last.map(String.init) ?? ""
            #expect(name.hasPrefix("events-") && !name.hasSuffix(".tmp"), "\(name) was renamed from its in-use name")
            byDir[dir, default: ""] += text
        }
        #expect(ops.contains { $0["op"] as? String == "RENAME" })
        #expect(byDir == ["\(hdfs.root)/flume/26-12-07/1000/00": "a\nb\n", "\(hdfs.root)/flume/26-12-07/1010/00": "c\n",
                          "\(hdfs.root)/flume/26-12-07/1020/00": "d\n", "\(hdfs.root)/flume/26-12-07/2350/00": "e\n"])
    }

    @Test func logstashSprintfAndFieldsInThePath() async throws {
        var events: [Event] = []
        for i in 0..<6 {
            var e = Event(message: "m\(i)")
            e.fields.set("app", .string(i % 2 == 0 ? "web" : "db"))
            e.fields.set("@timestamp", .timestamp(Timestamp(year: 2026, month: 1, day: 2 + i % 2, hour: 5)))
            events.append(e)
        }
        let result = try await webhdfsHarness().run(
            output("\(hdfs.root)/%{app}/dt=%{+YYYY-MM-dd}/x.log", "single_file_per_thread => false"), events: events)
        #expect(result.acks == [.delivered])
        #expect(try hdfs.files(hdfs.root) == ["\(hdfs.root)/web/dt=2026-01-02/x.log": "m0\nm2\nm4\n",
                                              "\(hdfs.root)/db/dt=2026-01-03/x.log": "m1\nm3\nm5\n"])
    }

    @Test func aLeaseHeldByAnotherClientRollsToANewFileAndLosesNothing() async throws {
        let path = "\(hdfs.root)/leased.log"
        let logs = LogCapture()
        let first = try await webhdfsHarness(logs).run(output(path, "single_file_per_thread => false"),
                                                       events: lineEvents(20), chunkSize: 10)
        #expect(first.acks == [.delivered, .delivered])
        try hdfs.post("/fault", ["kind": "lease", "path": path, "count": 1])
        let second = try await webhdfsHarness(logs).run(output(path, "single_file_per_thread => false"),
                                                        events: lineEvents(20, prefix: "more"), chunkSize: 10)
        #expect(second.acks == [.delivered, .delivered])
        let files = try hdfs.files(hdfs.root)
        #expect(files[path] == (0..<20).map { "row \($0)\n" }.joined(), "the leased file is left as it was")
        #expect(files["\(path).1"] == (0..<20).map { "more \($0)\n" }.joined(), "the batch went to the next file")
        #expect(logs.all.contains("already being created") || logs.all.contains("lease"), "the roll is logged")
    }

    @Test func aStandbyNamenodeSwitchesToTheOtherOne() async throws {
        try hdfs.post("/active", ["namenode": "nn2"])
        let logs = LogCapture()
        let result = try await webhdfsHarness(logs).run(output("\(hdfs.root)/ha.log",
            #"standby_host => "127.0.0.1" standby_port => \#(hdfs.standbyPort)"#), events: lineEvents(300), chunkSize: 100)
        #expect(result.acks.allSatisfy { $0 == .delivered } && result.deadLetters.isEmpty)
        let ops = try hdfs.ops()
        #expect(try hdfs.lines(hdfs.root).sorted() == (0..<300).map { "row \($0)" }.sorted())
        #expect(ops.contains { $0["server"] as? String == "nn1" && $0["status"] as? Int == 403 }, "nn1 answered standby")
        #expect(ops.filter { $0["op"] as? String == "APPEND" || $0["op"] as? String == "CREATE" }
            .filter { $0["server"] as? String != "datanode" }.allSatisfy { $0["server"] as? String == "nn2" },
                "writes went through the active namenode")
        #expect(logs.all.contains("switching to namenode"))
        try hdfs.post("/active", ["namenode": "nn1"])
    }

    @Test func aNamenodeThatRefusesConnectionsSwitchesToTheStandby() async throws {
        try hdfs.post("/active", ["namenode": "nn2"])
        try hdfs.post("/down", ["namenode": "nn1", "seconds": 6])
        let clock = ContinuousClock()
        let began = clock.now
        let result = try await webhdfsHarness().run(output("\(hdfs.root)/down-ha.log",
            #"standby_host => "127.0.0.1" standby_port => \#(hdfs.standbyPort)"#), events: lineEvents(100))
        #expect(clock.now - began < .seconds(5), "no waiting for the namenode that is down")
        #expect(result.acks.allSatisfy { $0 == .delivered })
        #expect(try hdfs.lines(hdfs.root).sorted() == (0..<100).map { "row \($0)" }.sorted())
        try await Task.sleep(for: .seconds(6))  // nn1 listens again for the next test
        try hdfs.post("/active", ["namenode": "nn1"])
    }

    @Test func aNamenodeDownAtStartIsWaitedFor() async throws {
        try hdfs.post("/down", ["namenode": "nn1", "seconds": 3])
        let clock = ContinuousClock()
        let began = clock.now
        let result = try await webhdfsHarness().run(output("\(hdfs.root)/late.log"), events: lineEvents(50))
        #expect(clock.now - began >= .seconds(2), "the pipeline waited for the namenode")
        #expect(result.acks.allSatisfy { $0 == .delivered })
        #expect(try hdfs.lines(hdfs.root).sorted() == (0..<50).map { "row \($0)" }.sorted())
    }

    @Test func fiveHundredsMidRunAreRetriedWithoutLossOrDuplicates() async throws {
        try hdfs.post("/fault", ["kind": "status", "status": 503, "target": "datanode", "op": "APPEND", "count": 8])
        try hdfs.post("/fault", ["kind": "status", "status": 500, "target": "namenode", "op": "APPEND", "count": 3])
        let result = try await webhdfsHarness().run(output("\(hdfs.root)/flaky.log", "retry_times => 2"),
                                                    events: lineEvents(500), chunkSize: 50)
        #expect(result.acks.count == 10 && result.acks.allSatisfy { $0 == .delivered })
        #expect(result.deadLetters.isEmpty)
        let ops = try hdfs.ops()
        #expect(try hdfs.lines(hdfs.root).sorted() == (0..<500).map { "row \($0)" }.sorted(), "each row exactly once")
        #expect(ops.filter { [500, 503].contains($0["status"] as? Int ?? 0) }.count == 11, "the faults happened")
    }

    @Test func anAppendThatTimesOutAfterTheDatanodeStoredItIsNotWrittenTwice() async throws {
        let path = "\(hdfs.root)/slow.log"
        try hdfs.post("/fault", ["kind": "slow", "delay": 3, "target": "datanode", "op": "APPEND", "path": path, "count": 1])
        var h = webhdfsHarness()
        h.settings.batchSize = 10
        let result = try await h.run(output(path, "single_file_per_thread => false request_timeout => 1"),
                                     events: lineEvents(30), chunkSize: 10)
        #expect(result.acks == [.delivered, .delivered, .delivered])
        // The fixture records the slow append when its (abandoned) answer is done.
        try await Task.sleep(for: .seconds(3))
        let ops = try hdfs.ops()
        #expect(try hdfs.files(hdfs.root)[path] == (0..<30).map { "row \($0)\n" }.joined(), "no chunk twice")
        let appends = ops.filter { $0["server"] as? String == "datanode" && $0["op"] as? String == "APPEND" }
        #expect(appends.count == 2, "the timed-out append was confirmed by its length, not re-sent")
        let statusChecks = ops.filter { $0["op"] as? String == "GETFILESTATUS" && $0["path"] as? String == path }
        #expect(statusChecks.count >= 2, "the length was looked up before the first write and after the timeout")
    }

    @Test func aPermissionErrorDeadLettersTheEventsWithTheReason() async throws {
        try hdfs.post("/fault", ["kind": "deny", "path": "\(hdfs.root)/", "count": 100])
        let result = try await webhdfsHarness().run(output("\(hdfs.root)/denied.log"), events: lineEvents(5))
        #expect(result.acks == [.delivered], "dead-lettered events count as handled")
        #expect(result.deadLetters.count == 5)
        let reason = result.deadLetters.first?.reason ?? ""
        #expect(reason.contains("Permission denied") && reason.contains("AccessControlException"), "\(reason)")
    }

    @Test func gzipWritesOneMemberPerAppend() async throws {
        let path = "\(hdfs.root)/z.log.gz"
        let result = try await webhdfsHarness().run(output(path, #"compression => "gzip" single_file_per_thread => false"#),
                                                    events: lineEvents(40), chunkSize: 10)
        #expect(result.acks.count == 4)
        #expect(try hdfs.files(hdfs.root)[path] == (0..<40).map { "row \($0)\n" }.joined())
    }

    @Test func rollCountStartsNewFiles() async throws {
        let result = try await webhdfsHarness().run(
            output("\(hdfs.root)/r", #"file_prefix => "ev-" roll_count => 10 single_file_per_thread => false"#),
            events: lineEvents(30), chunkSize: 10)
        #expect(result.acks.count == 3)
        let files = try hdfs.files(hdfs.root)
        #expect(files.count == 3 && files.values.allSatisfy { $0.split(separator: "\n").count == 10 })
        #expect(files.keys.allSatisfy { !$0.hasSuffix(".tmp") })
    }

    @Test func settingsAreCheckedWithoutConnecting() {
        let h = webhdfsHarness()
        let kerberos = h.check(#"output { webhdfs { host => "h" path => "/x" use_kerberos_auth => true } }"#)
        #expect(kerberos?.description.contains("not supported") == true, "\(String(describing: kerberos))")
        #expect(h.check(#"output { webhdfs { host => "h" path => "/x" compression => "snappy" } }"#) != nil)
        #expect(h.check(#"output { webhdfs { path => "/x" } }"#) != nil, "host is required")
        #expect(h.check(#"output { webhdfs { host => "h" path => "/x" port => 70000 } }"#) != nil)
        #expect(h.check(#"output { webhdfs { host => "nowhere.invalid" path => "/x/%{+YYYY}" user => "u" } }"#) == nil)
    }

    @Test func flumeEscapesTranslateToSprintf() {
        #expect(WebHDFSPath.translate("/f/%y-%m-%d/%H%M/%S/%{host}") == "/f/%{+yy}-%{+MM}-%{+dd}/%{+HH}%{+mm}/%{+ss}/%{host}")
        var e = Event(message: "x")
        e.fields.set("@timestamp", .timestamp(Timestamp(milliseconds: 1_765_000_123_456)))
        #expect(WebHDFSPath("%t", roundSeconds: nil).render(e) == "1765000123456")
        #expect(WebHDFSPath("%s", roundSeconds: 3600).render(e) == "1764997200")
    }
}

/// The plugin driven directly (no pipeline), for behaviour between writes. In the same
/// serialized suite: every test resets the one fixture.
extension WebHDFSOutputTests {
    func makeOutput(_ overrides: [String: Value]) throws -> WebHDFSOutput {
        var values: [String: Value] = [:]
        for spec in WebHDFSOutput.settingSpecs + CommonSettings.output {
            if let d = spec.defaultValue { values[spec.name] = d }
        }
        values["host"] = .string("127.0.0.1")
        values["port"] = .int(Int64(hdfs.port) ?? 0)
        for (k, v) in overrides { values[k] = v }
        var lineValues: [String: Value] = [:]
        for spec in LineCodec.settingSpecs { if let d = spec.defaultValue { lineValues[spec.name] = d } }
        lineValues["format"] = .string("%{message}")
        let codec = try LineCodec(settings: PluginSettings(pluginName: "line", id: "line_1", values: lineValues))
        let settings = PluginSettings(pluginName: WebHDFSOutput.pluginName, id: "webhdfs_t", values: values, codec: codec)
        return try WebHDFSOutput(settings: settings, context: PluginContext(logger: webhdfsHarness().logger, pipeline: PipelineSettings()))
    }

    @Test func anIdleFlumeFileIsRenamedWhileThePipelineRuns() async throws {
        let output = try makeOutput(["path": .string("\(hdfs.root)/idle"), "file_prefix": .string("ev-"),
                                     "idle_timeout": .int(1)])
        try await output.start()
        let outcome = try await output.write(lineEvents(5))
        #expect(outcome.rejected.isEmpty && outcome.retry.isEmpty)
        let before = try hdfs.files(hdfs.root)
        #expect(before.count == 1 && before.keys.allSatisfy { $0.hasSuffix(".tmp") }, "written under its in-use name: \(before.keys)")
        try await Task.sleep(for: .seconds(3))
        let after = try hdfs.files(hdfs.root)
        #expect(after.count == 1 && after.keys.allSatisfy { !$0.hasSuffix(".tmp") }, "renamed after idle_timeout: \(after.keys)")
        #expect(after.values.first == (0..<5).map { "row \($0)\n" }.joined())
        _ = try await output.write(lineEvents(2, prefix: "later"))
        try await output.close()
        #expect(try hdfs.files(hdfs.root).count == 2, "a write after the rename starts a new file")
    }
}
