import Foundation
import Testing

/// Secret setting values never appear in diagnostics (issue 16, part 2).
@Suite struct SecretRedactionCLITests {
    /// The excerpt line and the caret line of the first diagnostic in `stderr`, and its column.
    func excerpt(_ stderr: String) throws -> (line: String, caret: String, column: Int) {
        let lines = stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let i = try #require(lines.firstIndex { $0.contains(": error: ") })
        let header = lines[i]
        let loc = try #require(header.range(of: #":\d+:\d+: error"#, options: .regularExpression))
        let parts = header[loc].split(separator: ":")
        let column = try #require(Int(parts[1]))
        return (lines[i + 1], lines[i + 2], column)
    }

    @Test func theIssueReproducerShowsNoSecret() throws {
        let out = try CLI.run(["check", "-e", #"filter { fingerprint { key => "hunter2xyz" method => "IPV4_NETWORK" } }"#])
        #expect(out.status == 1)
        #expect(!out.stderr.contains("hunter2xyz"), "\(out.stderr)")
        let e = try excerpt(out.stderr)
        #expect(e.line.contains(#"key => "**********""#), "\(e.line)")
        #expect(e.caret.count == e.column, "caret `\(e.caret)` not at column \(e.column)")
    }

    @Test func aSecretOnTheLineOfAnotherSettingsErrorIsMasked() throws {
        let config = #"filter { fingerprint { key => "hunter2xyz" method => "NOPE" } }"#
        let out = try CLI.run(["check", "-e", config])
        #expect(out.status == 1)
        #expect(!out.stderr.contains("hunter2xyz"), "\(out.stderr)")
        let e = try excerpt(out.stderr)
        #expect(e.line.contains(#"key => "**********""#), "\(e.line)")
        // The caret is under `"NOPE"`, where the error is.
        let nope = try #require(config.range(of: #""NOPE""#))
        #expect(e.column == config.distance(from: config.startIndex, to: nope.lowerBound) + 1)
        #expect(e.caret.count == e.column)
        #expect(Array(e.line)[e.column - 1] == "\"")
    }

    @Test func aSecretFromTheEnvironmentIsNotShown() throws {
        let out = try CLI.run(["check", "-e", #"filter { fingerprint { key => "${FP_KEY}" method => "IPV4_NETWORK" } }"#],
                              environment: ["FP_KEY": "hunter2xyz"])
        #expect(out.status == 1)
        #expect(!out.stderr.contains("hunter2xyz"), "\(out.stderr)")
    }

    @Test func aSyntaxErrorAfterASecretDoesNotEchoIt() throws {
        let out = try CLI.run(["check", "-e", #"output { http { url => "http://127.0.0.1:9" password => "hunter2xyz" oops } }"#])
        #expect(out.status == 1)
        #expect(!out.stderr.contains("hunter2xyz"), "\(out.stderr)")
        let e = try excerpt(out.stderr)
        #expect(e.caret.count == e.column)
        #expect(Array(e.line)[e.column - 1] == "}", "\(e.line)")
    }

    @Test func aLongLineIsCutAroundTheCaret() throws {
        let padding = String(repeating: "x", count: 200_000)
        let config = "filter { mutate { add_tag => [\"\(padding)\"] oops } }"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-long-\(UUID().uuidString).conf").path
        try config.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let out = try CLI.run(["check", "-f", file])
        #expect(out.status == 1)
        let e = try excerpt(out.stderr)
        #expect(e.line.count <= 170, "excerpt is \(e.line.count) characters")
        #expect(e.line.hasPrefix("…"))
        // The caret still points at `}` after `oops`, the unexpected token.
        let caretIndex = e.caret.count - 1
        #expect(Array(e.line)[caretIndex] == "}", "\(e.line) / \(e.caret)")
        #expect(out.stderr.utf8.count < 2_000)
    }
}
