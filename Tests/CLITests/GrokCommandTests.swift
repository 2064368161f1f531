import Foundation
import Testing

/// `sluice grok`: the grok debugger.
@Suite struct GrokCommandTests {
    @Test func printsCapturesAsJSONPerLine() throws {
        let input = """
            83.149.9.216 - - [24/Feb/2015:23:13:42 +0000] "GET /a.png HTTP/1.1" 200 2023 "-" "curl/8.5.0"
            not an access log line

            """
        let r = try CLI.run(["grok", "%{COMBINEDAPACHELOG}"], stdin: input)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0] == #"{"source":{"address":"83.149.9.216"},"timestamp":"24/Feb/2015:23:13:42 +0000","http":{"request":{"method":"GET"},"version":"1.1","response":{"status_code":200,"body":{"bytes":2023}}},"url":{"original":"/a.png"},"user_agent":{"original":"curl/8.5.0"}}"#)
        #expect(lines[1] == #"{"tags":["_grokparsefailure"]}"#)
        #expect(r.status == 1)  // some line did not match
    }

    @Test func ecsModeAndExitStatusWhenAllMatch() throws {
        let r = try CLI.run(["grok", "--ecs", "disabled", "%{SYSLOGLINE}"],
                            stdin: "Mar 16 00:01:25 evita postfix/smtpd[1713]: connect from x\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""program":"postfix/smtpd""#))
        #expect(r.stdout.contains(#""pid":"1713""#))
        #expect(r.stdout.contains(#""message":"connect from x""#))
        let bad = try CLI.run(["grok", "--ecs", "v2", "%{WORD}"], stdin: "")
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--ecs must be one of"))
    }

    @Test func patternsDirAndDefinitions() throws {
        let dir = try CLI.tempDir()
        try CLI.write("# my patterns\nQUEUEID [0-9A-F]{10,11}\n", to: dir + "/postfix")
        let r = try CLI.run(["grok", "--patterns-dir", dir, "--define", "TAIL=.+", "%{QUEUEID:queue}: %{TAIL:rest}"],
                            stdin: "BEF25A72965: message-id=<x@y>\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == #"{"queue":"BEF25A72965","rest":"message-id=<x@y>"}"# + "\n")
    }

    @Test func listsPatternsWithAFilter() throws {
        let r = try CLI.run(["grok", "--list", "ipv"])
        #expect(r.status == 0)
        let names = r.stdout.split(separator: "\n").map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(names == ["IPV4", "IPV6"])
        let all = try CLI.run(["grok", "--list", "--ecs", "disabled"])
        #expect(all.stdout.split(separator: "\n").contains {
            $0.hasPrefix("COMBINEDAPACHELOG ") && $0.hasSuffix(" %{HTTPD_COMBINEDLOG}")
        })
        #expect(all.stdout.split(separator: "\n").count > 250)
    }

    @Test func patternErrorsExitTwoWithAMessage() throws {
        let r = try CLI.run(["grok", "%{NOSUCH:x}"], stdin: "x\n")
        #expect(r.status == 2)
        #expect(r.stderr.contains("unknown pattern `%{NOSUCH}`"))
        let missingDir = try CLI.run(["grok", "--patterns-dir", "/nonexistent/dir", "%{WORD}"], stdin: "")
        #expect(missingDir.status == 2)
        #expect(missingDir.stderr.contains("does not exist"))
        let noPattern = try CLI.run(["grok"], stdin: "")
        #expect(noPattern.status != 0)
    }

    @Test func invalidUTF8AndTimeouts() throws {
        let dir = try CLI.tempDir()
        var bytes = Data("id=7 name=".utf8)
        bytes.append(contentsOf: [0xFF, 0xC3, 0x41, 0x0A])
        bytes.append(contentsOf: Data((String(repeating: "a", count: 40) + "b\n").utf8))
        try bytes.write(to: URL(fileURLWithPath: dir + "/in.txt"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["grok", "--timeout-millis", "50", "^(?:id=%{INT:id:int} name=%{GREEDYDATA:name}|(a+)+$)"]
        p.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: dir + "/in.txt"))
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.first == #"{"id":7,"name":"\#u{FFFD}\#u{FFFD}A"}"#)
        #expect(lines.last == #"{"tags":["_groktimeout"]}"#)
        #expect(p.terminationStatus == 1)
    }
}
