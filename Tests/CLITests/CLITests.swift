import Foundation
import Testing

@Suite struct CLITests {
    @Test func versionPrintsTheVersion() throws {
        let r = try CLI.run(["version"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("sluice "))
    }

    @Test func checkAcceptsAValidPipeline() throws {
        let dir = try CLI.tempDir()
        try CLI.write("input { generator { count => 1 } }\nfilter { mutate { add_tag => [\"x\"] } }\noutput { null {} }\n",
                      to: dir + "/ok.conf")
        let r = try CLI.run(["check", "-f", dir + "/ok.conf"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Configuration OK"))
        let t = try CLI.run(["-t", "-f", dir + "/ok.conf"])  // logstash -t style
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stdout.contains("Configuration OK"))
    }

    @Test func syntaxErrorNamesFileLineColumnWithCaret() throws {
        let dir = try CLI.tempDir()
        let path = dir + "/bad.conf"
        try CLI.write("input { stdin { } }\nfilter {\n  mutate { add_field { \"a\" => \"b\" } }\n}\n", to: path)
        let r = try CLI.run(["check", "-f", path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(path):3:"))
        #expect(r.stderr.contains("mutate { add_field { \"a\" => \"b\" } }"))
        #expect(r.stderr.contains("^"))
        #expect(r.stdout.isEmpty)
    }

    @Test func unknownPluginAndSettingSuggestAName() throws {
        let r = try CLI.run(["check", "-e", "filter { mutat { } }"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("config string:1:10"))
        #expect(r.stderr.contains("did you mean `mutate`?"))
        let s = try CLI.run(["check", "-e", "filter { mutate { add_tags => [\"a\"] } }"])
        #expect(s.status == 1)
        #expect(s.stderr.contains("unknown setting `add_tags`"))
        #expect(s.stderr.contains("did you mean `add_tag`?"))
    }

    @Test func badValuesAndMissingRequiredSettingsAreReportedBeforeStart() throws {
        let r = try CLI.run(["check", "-e", "input { file { mode => \"reed\" } }"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("missing required setting `path`"))
        #expect(r.stderr.contains("must be one of `tail`, `read`"))
        #expect(r.stderr.contains("did you mean `read`?"))
        let b = try CLI.run(["check", "-e", "input { generator { count => \"many\" } }"])
        #expect(b.status == 1)
        #expect(b.stderr.contains("expects a number"))
    }

    @Test func configErrorStartsNothing() throws {
        let dir = try CLI.tempDir()
        let out = dir + "/out.log"
        let r = try CLI.run(["-e", "input { generator { count => 3 } } output { file { path => \"\(out)\" } } filter { nope { } }"])
        #expect(r.status == 1)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func stringConfigDefaultsToStdinAndStdout() throws {
        let r = try CLI.run(["-e", "filter { mutate { add_field => { \"greeting\" => \"hi %{message}\" } } }",
                             "--log.level", "error"], stdin: "alice\nbob\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"greeting\" => \"hi alice\""))
        #expect(r.stdout.contains("\"greeting\" => \"hi bob\""))
    }

    @Test func stdinBatchJobDeliversEveryLineThenExits() throws {
        let lines = (1...5000).map { "line \($0)" }
        let r = try CLI.run(["-e", "output { stdout { codec => line { format => \"%{message}\" } } }", "-w", "2",
                             "--log.level", "error"],
                            stdin: lines.joined(separator: "\n") + "\n")
        #expect(r.status == 0, "\(r.stderr)")
        let got = r.stdout.split(separator: "\n").map(String.init)
        #expect(got.count == 5000)
        #expect(Set(got) == Set(lines))
    }

    @Test func pluginsListsAndDescribes() throws {
        let all = try CLI.run(["plugins"])
        #expect(all.status == 0)
        for name in ["stdin", "generator", "file", "mutate", "drop", "json", "date", "stdout", "null",
                     "plain", "line", "json_lines", "rubydebug", "dots"] {
            #expect(all.stdout.contains(name), "missing \(name)")
        }
        let one = try CLI.run(["plugins", "mutate"])
        #expect(one.status == 0)
        #expect(one.stdout.contains("convert"))
        #expect(one.stdout.contains("add_tag"))
        let unknown = try CLI.run(["plugins", "mutat"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("did you mean `mutate`?"))
    }

    @Test func settingsFileIsReadAndFlagsOverrideIt() throws {
        let dir = try CLI.tempDir()
        try CLI.write("pipeline:\n  workers: 3\n  batch.size: 7\nlog.level: info\n", to: dir + "/sluice.yml")
        let r = try CLI.run(["-e", "input { generator { count => 1 } } output { null {} }", "--path.settings", dir])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("workers=3") || r.stderr.contains("workers: 3"))
        #expect(r.stderr.contains("batch_size=7") || r.stderr.contains("batch_size: 7"))
        let f = try CLI.run(["-e", "input { generator { count => 1 } } output { null {} }", "--path.settings", dir, "-w", "1"])
        #expect(f.stderr.contains("workers=1") || f.stderr.contains("workers: 1"))
        try CLI.write("pipeline.workerz: 3\n", to: dir + "/sluice.yml")
        let bad = try CLI.run(["check", "-e", "input { stdin {} }", "--path.settings", dir])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("sluice.yml:1: error: unknown setting `pipeline.workerz`"))
        #expect(bad.stderr.contains("did you mean `pipeline.workers`?"))
    }

    @Test func pipelineECSCompatibilityFromTheSettingsFile() throws {
        let dir = try CLI.tempDir()
        try CLI.write("pipeline.ecs_compatibility: v8\n", to: dir + "/sluice.yml")
        let r = try CLI.run(["-e", "input { generator { count => 1 } } output { stdout { codec => json_lines } }",
                             "--path.settings", dir, "--log.level", "error"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""event":{"sequence":0}"#), "\(r.stdout)")
        try CLI.write("# logstash.yml keys\npipeline.ecs_compatibility: v9\n", to: dir + "/sluice.yml")
        let bad = try CLI.run(["check", "-e", "input { stdin {} }", "--path.settings", dir])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("sluice.yml:2: error: pipeline.ecs_compatibility must be one of disabled, v1, v8, got `v9`"), "\(bad.stderr)")
    }

    @Test func sigtermDrainsInFlightEventsAndExitsZero() async throws {
        let dir = try CLI.tempDir()
        let out = dir + "/out.jsonl"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["-e", "input { generator { count => 0 } } output { file { path => \"\(out)\" codec => line { format => \"%{sequence}\" } } }",
                       "-w", "2", "--log.level", "error"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait until it is producing, then ask it to stop.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, ((try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0) < 100_000 {
            await CLI.pause(0.05)
        }
        p.terminate()
        await CLI.exit(of: p)
        #expect(p.terminationStatus == 0)
        // Every sequence number that was generated up to the last one written is present: nothing in flight was lost.
        let text = try String(contentsOfFile: out, encoding: .utf8)
        let seqs = text.split(separator: "\n").compactMap { Int($0) }
        #expect(seqs.count > 1000)
        let max = seqs.max() ?? 0
        #expect(Set(seqs).count == seqs.count)
        #expect(seqs.count == max + 1, "gaps in sequence numbers: \(seqs.count) events, max \(max)")
    }
}
