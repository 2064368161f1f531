import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP and SIGPIPE through the binary (issue 16, part 3). SIGINT/SIGTERM draining is
/// covered by HTTPOutputCLITests and DurabilityTests.
@Suite("CLI: signals", .timeLimit(.minutes(2)))
struct SignalTests {
    /// Until configuration reload exists, SIGHUP is logged and ignored: the process keeps
    /// running (today's default action would end it with status 129), and SIGTERM still drains.
    @Test func sighupIsLoggedAndIgnored() async throws {
        let dir = try CLI.tempDir()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["-e", #"input { generator { message => "tick" } } output { null { } }"#,
                       "--path.data", dir + "/data", "-w", "1"]
        _ = FileManager.default.createFile(atPath: dir + "/stderr", contents: nil)
        let stderr = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/stderr"))
        p.standardError = stderr
        p.standardOutput = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { p.terminate() } }
        try await waitFor("pipeline started", in: dir + "/stderr")

        kill(p.processIdentifier, SIGHUP)
        try await waitFor("SIGHUP received: configuration reload is not supported yet; ignoring", in: dir + "/stderr")
        await CLI.pause(0.5)
        #expect(p.isRunning, "SIGHUP ended the process (status \(p.isRunning ? 0 : p.terminationStatus))")

        kill(p.processIdentifier, SIGTERM)
        await CLI.exit(of: p)
        try stderr.close()
        #expect(p.terminationReason == .exit && p.terminationStatus == 0)
        let log = try String(contentsOfFile: dir + "/stderr", encoding: .utf8)
        #expect(log.contains("pipeline stopped"), "\(log)")
    }

    /// `sluice -f read-mode.conf | head -1`: when head exits, the stdout output gets EPIPE (not
    /// a fatal SIGPIPE), the pipeline stops, the process exits 0, and the sincedb claims only
    /// lines stdout took. A second run delivers exactly the lines after that position.
    @Test func aClosedStdoutStopsCleanlyWithoutClaimingUnwrittenLines() throws {
        let dir = try CLI.tempDir()
        // 4 MB, far beyond what a pipe holds (64 KiB) plus what head reads.
        let lines = (0..<100_000).map { String(format: "line %06d of the input file ..........................", $0) }
        let lineBytes = lines[0].utf8.count + 1
        try CLI.write(lines.joined(separator: "\n") + "\n", to: dir + "/in.log")
        let size = lines.count * lineBytes
        func config(exitAfterRead: Bool) -> String {
            """
            input { file { path => ["\(dir)/in.log"] mode => "read" sincedb_path => "\(dir)/sincedb"
                           file_completed_action => "log" file_completed_log_path => "\(dir)/completed.log"
                           exit_after_read => \(exitAfterRead) } }
            output { stdout { codec => line { format => "%{message}" } } }
            """
        }
        try CLI.write(config(exitAfterRead: false), to: dir + "/head.conf")

        // The input never finishes by itself (no exit_after_read): only the closed stdout ends
        // the run; `timeout` turns a hang into status 137 instead of a stuck test.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/bash")
        shell.arguments = ["-c", """
            timeout -s KILL 60 '\(CLI.binary)' -f '\(dir)/head.conf' --path.data '\(dir)/data' -w 1 -b 125 \
              2> '\(dir)/stderr' | head -1 > '\(dir)/head.out'
            echo "${PIPESTATUS[0]}" > '\(dir)/status'
            """]
        try shell.run()
        shell.waitUntilExit()
        let status = try String(contentsOfFile: dir + "/status", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let log = try String(contentsOfFile: dir + "/stderr", encoding: .utf8)
        #expect(status == "0", "exit status \(status); stderr:\n\(log)")
        #expect(try String(contentsOfFile: dir + "/head.out", encoding: .utf8) == lines[0] + "\n")
        #expect(log.contains("stdout was closed by its reader; stopping the pipeline"), "\(log)")

        // The sincedb (`inode major minor position last_active path`) claims whole lines, no
        // more than the pipe and head could have taken, and the file is not completed.
        let sincedb = try String(contentsOfFile: dir + "/sincedb", encoding: .utf8)
        let position = try #require(sincedb.split(separator: "\n").compactMap { line -> Int? in
            let f = line.split(separator: " ")
            return f.count >= 6 && f[5] == "\(dir)/in.log" ? Int(f[3]) : nil
        }.first, "no sincedb entry for in.log: \(sincedb)")
        #expect(position % lineBytes == 0, "position \(position) is not at a line boundary")
        #expect(position < 512 * 1024, "the sincedb claims \(position) bytes of \(size): more than stdout took")
        #expect(!FileManager.default.fileExists(atPath: dir + "/completed.log"))

        // Nothing is lost: the next run writes exactly the lines after the position.
        try CLI.write(config(exitAfterRead: true), to: dir + "/rest.conf")
        let rest = try CLI.run(["-f", dir + "/rest.conf", "--path.data", dir + "/data", "-w", "1", "--log.level", "error"])
        #expect(rest.status == 0, "\(rest.stderr)")
        let expected = lines[(position / lineBytes)...].joined(separator: "\n") + "\n"
        #expect(rest.stdout == expected, "the second run wrote \(rest.stdout.utf8.count) bytes, expected \(expected.utf8.count)")
    }

    private func waitFor(_ text: String, in path: String) async throws {
        for _ in 0..<500 {
            if let log = try? String(contentsOfFile: path, encoding: .utf8), log.contains(text) { return }
            await CLI.pause(0.02)
        }
        let log = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        Issue.record("`\(text)` not logged within 10 s; stderr:\n\(log)")
        throw CancellationError()
    }
}
