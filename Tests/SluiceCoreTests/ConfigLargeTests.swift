import Foundation
import Testing
@testable import SluiceCore

@Suite("Config: a realistic 200-line pipeline")
struct ConfigLargeTests {
    let path = ConfigTest.fixture("large.conf")

    func load() throws -> PipelineConfig {
        try ConfigLoader.load(path: path, environment: ["ES_HOST": "https://es.example:9200"])
    }

    func plugins(_ s: [Statement]) -> [PluginNode] {
        s.flatMap { st -> [PluginNode] in
            switch st {
            case .plugin(let p): return [p]
            case .conditional(let c): return c.branches.flatMap { plugins($0.body) } + plugins(c.elseBody ?? [])
            }
        }
    }

    func conditionals(_ s: [Statement]) -> Int {
        s.reduce(0) { n, st in
            guard case .conditional(let c) = st else { return n }
            return n + 1 + c.branches.reduce(0) { $0 + conditionals($1.body) } + conditionals(c.elseBody ?? [])
        }
    }

    @Test func isLongEnough() throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count >= 200)
    }

    @Test func structure() throws {
        let c = try load()
        #expect(plugins(c.inputs).map(\.name) == ["beats", "file", "syslog", "kafka", "stdin"])
        #expect(c.hasInputs && c.hasOutputs)
        #expect(plugins(c.filters).count == 26)
        #expect(conditionals(c.filters) == 13)
        #expect(Set(plugins(c.outputs).map(\.name)) == ["elasticsearch", "file", "kafka", "stdout"])
        #expect(conditionals(c.outputs) == 3)

        let beats = plugins(c.inputs)[0]
        #expect(beats[setting: "port"]?.intValue == 5044)
        #expect(beats[setting: "add_field"]?[key: "[@metadata][source]"] == .string("beats"))
        let kafka = plugins(c.inputs)[3]
        #expect(kafka[setting: "bootstrap_servers"] == .string("localhost:9092"))
        #expect(kafka[setting: "codec"] == .bareword("json"))
        let file = plugins(c.inputs)[1]
        #expect(file[setting: "codec"]?.pluginValue?[setting: "charset"] == .string("UTF-8"))

        // The two `match` hashes of the access-log grok merged into one.
        let grok = try #require(plugins(c.filters).first { $0.name == "grok" && $0[setting: "match"]?[key: "agent"] != nil })
        #expect(grok[setting: "match"]?.hashEntries?.map(\.key) == ["message", "agent"])
        // The two `add_field` arrays of the syslog grok concatenated.
        let syslog = try #require(plugins(c.filters).first { $0[setting: "add_field"]?.arrayValue?.count == 4 })
        #expect(syslog.name == "grok")

        let es = plugins(c.outputs).filter { $0.name == "elasticsearch" }
        #expect(es.count == 2)
        #expect(es[0][setting: "hosts"] == .array([.string("https://es.example:9200")]))
        #expect(es[0][setting: "password"] == .string("changeme"))
        let stdout = try #require(plugins(c.outputs).first { $0.name == "stdout" })
        #expect(stdout[setting: "codec"]?.pluginValue?.name == "rubydebug")
        #expect(stdout.location.fileName == path)
    }

    @Test func conditionsCompile() throws {
        let c = try load()
        func compileAll(_ s: [Statement]) throws -> Int {
            try s.reduce(0) { n, st in
                guard case .conditional(let cond) = st else { return n }
                var count = n
                for b in cond.branches {
                    _ = try ConditionCompiler.compile(b.condition, at: b.location)
                    count += 1 + (try compileAll(b.body))
                }
                return count + (try compileAll(cond.elseBody ?? []))
            }
        }
        let filterBranches = try compileAll(c.filters)
        let outputBranches = try compileAll(c.outputs)
        #expect(filterBranches == 17)
        #expect(outputBranches == 4)
    }

    @Test func specificConditions() throws {
        let c = try load()
        guard case .conditional(let type)? = c.filters.dropFirst().first else { Issue.record("conditional expected"); return }
        #expect(type.branches.map(\.condition) == [
            .compare(.field(ConfigTest.field("type")), .eq, .string("nginx")),
            .compare(.field(ConfigTest.field("type")), .eq, .string("syslog")),
            .compare(.field(ConfigTest.field("type")), .eq, .string("app")),
        ])
        #expect(type.elseBody?.count == 1)
        #expect(type.branches[0].location.line == 47)
    }

    @Test func parsesWellUnderTenMilliseconds() throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let options = ParseOptions(environment: [:])
        _ = try ConfigParser.parse(SourceFile(name: "large.conf", text: text), options: options)  // warm up
        // The fastest of 20 runs: another process hogging the shared cores slows some runs,
        // not the parser.
        let clock = ContinuousClock()
        var fastest = Duration.seconds(60)
        for _ in 0..<20 {
            fastest = min(fastest, try clock.measure { _ = try ConfigParser.parse(SourceFile(name: "large.conf", text: text), options: options) })
        }
        #expect(fastest < .milliseconds(10))
    }
}
