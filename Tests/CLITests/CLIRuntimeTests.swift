import Foundation
import Testing

/// What only the binary can show: how `-f`, `-e` and the environment reach the pipeline.
@Suite("CLI: config sources and batch jobs", .timeLimit(.minutes(1)))
struct CLIRuntimeTests {
    @Test func aConfigDirectoryChainsFiltersInFileOrder() throws {
        let dir = try CLI.tempDir()
        // Named so that sorting matters: "10-" comes before "9-" as text, and must run first.
        try CLI.write("""
            input { stdin { } }
            filter { mutate { add_field => { "order" => "first" } } }
            """, to: dir + "/10-input.conf")
        try CLI.write("""
            filter { mutate { replace => { "order" => "%{order}-second" } } }
            output { stdout { codec => line { format => "%{order}" } } }
            """, to: dir + "/9-output.conf")
        let r = try CLI.run(["-f", dir, "--log.level", "error", "--path.data", dir + "/data"], stdin: "x\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "first-second\n")
    }

    @Test func environmentVariablesAreSubstituted() throws {
        let config = #"input { generator { count => 1 message => "${GREETING} ${MISSING_SLUICE_VAR:fallback}" } } "#
            + #"output { stdout { codec => line { format => "%{message}" } } }"#
        let r = try CLI.run(["-e", config, "--log.level", "error"], environment: ["GREETING": "hello"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "hello fallback\n")
        let missing = try CLI.run(["check", "-e", #"input { generator { message => "${MISSING_SLUICE_VAR}" } }"#])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("MISSING_SLUICE_VAR"))
    }

    @Test func stdinWithJSONLinesDecodesEachLine() throws {
        let config = #"input { stdin { codec => json_lines } } output { stdout { codec => line { format => "%{user}:%{[n][v]}" } } }"#
        let r = try CLI.run(["-e", config, "--log.level", "error", "-w", "1"],
                            stdin: #"{"user":"ann","n":{"v":1}}"# + "\n" + #"{"user":"bob","n":{"v":2}}"#)
        #expect(r.status == 0, "\(r.stderr)")
        // The last line has no newline: it is still decoded at end of input.
        #expect(r.stdout == "ann:1\nbob:2\n")
    }

    @Test func aReadModeFileToFileJobEndsByItselfWithEverything() throws {
        let dir = try CLI.tempDir()
        let lines = (0..<2000).map { "line \($0)" }
        try CLI.write(lines.joined(separator: "\n") + "\n", to: dir + "/in.log")
        let config = """
            input { file { path => ["\(dir)/*.log"] mode => "read" exit_after_read => true
                           file_completed_action => "delete" } }
            output { file { path => "\(dir)/out/%{+YYYY}.txt" codec => line { format => "%{message}" } } }
            """
        let r = try CLI.run(["-e", config, "--log.level", "error", "--path.data", dir + "/data", "-w", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let out = try FileManager.default.contentsOfDirectory(atPath: dir + "/out")
        #expect(out.count == 1)
        let written = try String(contentsOfFile: dir + "/out/" + (out.first ?? ""), encoding: .utf8)
        #expect(Set(written.split(separator: "\n").map(String.init)) == Set(lines))
        #expect(written.split(separator: "\n").count == lines.count)
        #expect(!FileManager.default.fileExists(atPath: dir + "/in.log"), "read mode deletes a delivered file")
    }
}
