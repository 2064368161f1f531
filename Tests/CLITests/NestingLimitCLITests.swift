import Foundation
import Testing

/// A configuration nested far too deep is rejected with file:line:col, quickly, by the
/// binary (issue 16, part 1); it never overflows the stack. Serialized: each case is timed.
@Suite(.serialized) struct NestingLimitCLITests {
    static let n = 100_000

    static func repeated(_ s: String, _ k: Int = n) -> String { String(repeating: s, count: k) }

    /// Every construct that nests, each 100,000 levels deep.
    static let cases: [(name: String, config: String)] = [
        ("if blocks", "filter {\n" + repeated("if [a] { ") + repeated("}") + "\n}\n"),
        ("parentheses", "filter {\nif " + repeated("(") + "[a]" + repeated(")") + " { }\n}\n"),
        ("! chains", "filter {\nif " + repeated("!(") + "[a]" + repeated(")") + " { }\n}\n"),
        ("and chain", "filter {\nif " + repeated("[a] and ") + "[a] { }\n}\n"),
        ("hashes", "filter {\nmutate { add_field => " + repeated("{ a => ") + "1" + repeated(" }") + " }\n}\n"),
        ("arrays", "filter {\nmutate { add_tag => " + repeated("[") + repeated("]") + " }\n}\n"),
        ("selectors", "filter {\nif " + repeated("[a]") + " { }\n}\n"),
        ("condition arrays", "filter {\nif [a] in " + repeated("[") + repeated("]") + " { }\n}\n"),
        ("plugin values", "input {\nstdin { codec => " + repeated("json { codec => ") + "json" + repeated(" }") + " }\n}\n"),
        ("setting field reference", "filter {\njson { source => \"" + repeated("[a]") + "\" }\n}\n"),
    ]

    @Test(arguments: cases.map(\.name))
    func deepNestingIsRejectedWithALocation(_ name: String) throws {
        let config = try #require(Self.cases.first { $0.name == name }?.config)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-nesting-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("deep.conf").path
        try config.write(toFile: file, atomically: true, encoding: .utf8)

        let started = ContinuousClock.now
        let out = try CLI.run(["check", "-f", file])
        let elapsed = ContinuousClock.now - started

        #expect(out.status == 1, "\(name): exit \(out.status), stderr: \(out.stderr.prefix(500))")
        #expect(out.stderr.contains("nesting deeper than 1000 levels"), "\(name): \(out.stderr.prefix(500))")
        let located = out.stderr.range(of: #"deep\.conf:2:\d+: "#, options: .regularExpression) != nil
        #expect(located, "\(name): no file:line:col in \(out.stderr.prefix(500))")
        // About 0.2 s unloaded; the bound catches a blow-up (a quadratic walk of 100,000 levels takes minutes), not load.
        #expect(elapsed < .seconds(3), "\(name): took \(elapsed)")
        // The excerpt of the 100,000-level line is cut, not echoed whole.
        #expect(out.stderr.utf8.count < 2_000, "\(name): \(out.stderr.utf8.count) bytes of diagnostics")
    }

    @Test func nestingAtTheLimitStillParses() throws {
        let k = 900
        let config = "filter {\n" + Self.repeated("if [a] { ", k) + Self.repeated("}", k) + "\n}\n"
        let out = try CLI.run(["check", "-e", config])
        #expect(out.status == 0, "\(out.stderr.prefix(500))")
    }

    /// A chain of grok pattern definitions, each using the next, is refused past the bound.
    @Test func grokReferenceChainsAreBounded() throws {
        let k = 1_100
        let defs = (0..<k).map { "\"P\($0)\" => \"%{P\($0 + 1)}\"" }.joined(separator: " ") + " \"P\(k)\" => \"x\""
        let config = "filter {\ngrok { match => { \"message\" => \"%{P0}\" } pattern_definitions => { \(defs) } }\n}"
        let out = try CLI.run(["check", "-e", config])
        #expect(out.status == 1)
        #expect(out.stderr.contains("config string:2:"), "\(out.stderr.prefix(300))")
        #expect(out.stderr.contains("pattern references nest deeper than 1000 levels"), "\(out.stderr.prefix(300))")
    }

    /// Conditions just under the bound compile on the workers and evaluate correctly.
    @Test func conditionsJustUnderTheLimitRun() throws {
        let k = 990
        let config = "input { generator { count => 1 message => \"x\" } }\nfilter {\n"
            + "if " + Self.repeated("(", k) + "[message] == \"x\"" + Self.repeated(")", k) + " { mutate { add_tag => [\"parens\"] } }\n"
            + "if " + Self.repeated("!(", k) + "[nope]" + Self.repeated(")", k) + " { mutate { add_tag => [\"even\"] } }\n"
            + "if " + Self.repeated("!(", k - 1) + "[nope]" + Self.repeated(")", k - 1) + " { mutate { add_tag => [\"odd\"] } }\n"
            + "if " + Array(repeating: "[message]", count: k).joined(separator: " and ") + " { mutate { add_tag => [\"chain\"] } }\n"
            + "}\noutput { stdout { codec => json_lines } }"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-legal-\(UUID().uuidString).conf").path
        try config.write(toFile: dir, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try CLI.run(["-f", dir, "-w", "2"])
        #expect(out.status == 0, "\(out.stderr.prefix(500))")
        #expect(out.stdout.contains(#""tags":["parens","odd","chain"]"#), "\(out.stdout)")
    }

    /// JSON nested 100,000 deep, through the json codec and the json filter: tagged, not crashed.
    @Test func deepJSONIsTaggedNotCrashed() throws {
        let deep = Self.repeated("[") + Self.repeated("]")
        let codec = try CLI.run(["-e", "input { stdin { codec => json_lines } } output { stdout { codec => json_lines } }"],
                                stdin: deep + "\n")
        #expect(codec.status == 0, "\(codec.stderr.prefix(500))")
        #expect(codec.stdout.contains("_jsonparsefailure"), "\(codec.stdout.prefix(300))")

        let filter = try CLI.run(["-e", "input { stdin { } } filter { json { source => \"message\" } } output { stdout { codec => json_lines } }"],
                                 stdin: deep + "\n")
        #expect(filter.status == 0, "\(filter.stderr.prefix(500))")
        #expect(filter.stdout.contains("_jsonparsefailure"), "\(filter.stdout.prefix(300))")
    }
}
