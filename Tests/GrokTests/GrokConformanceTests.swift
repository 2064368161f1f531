import Testing
import SluiceCore
@testable import GrokPlugins

/// Logstash's own grok test vectors (logstash-patterns-core's rspec suite as data), read
/// from `../shared/conformance/` next to the package. They are not copied into the repo.
@Suite struct GrokConformanceTests {
    static let vectorsPath: String = {
        // #filePath is <root>/Tests/GrokTests/<file>; the vectors sit beside <root>.
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/../shared/conformance/grok-spec-vectors.json"
    }()

    struct Vector {
        var index: Int
        var pattern: String
        var ecs: String
        var line: String
        var expect: FieldMap
        var expectMulti: FieldMap
        var absent: [String]
        var shouldMatch: Bool
        var settings: FieldMap
    }

    static func loadVectors() -> [Vector]? {
        guard let bytes = FileIO.readFile(vectorsPath), case .array(let items)? = try? JSON.decode(bytes) else {
            return nil
        }
        return items.enumerated().compactMap { i, item -> Vector? in
            guard case .object(let o) = item, case .string(let pattern)? = o["pattern"],
                  case .string(let line)? = o["line"] else { return nil }
            return Vector(index: i, pattern: pattern, ecs: o["ecs"]?.stringValue ?? "disabled", line: line,
                          expect: o["expect"]?.objectValue ?? FieldMap(),
                          expectMulti: o["expect_multi"]?.objectValue ?? FieldMap(),
                          absent: o["expect_absent"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                          shouldMatch: o["match"] == .bool(true),
                          settings: o["settings"]?.objectValue ?? FieldMap())
        }
    }

    /// Runs one vector the way the rspec helper does: a grok filter with
    /// `match => { "message" => pattern }` over an event carrying `line`.
    static func check(_ v: Vector) -> [String] {
        var overrides: [String: Value] = ["match": ["message": .string(v.pattern)], "ecs_compatibility": .string(v.ecs)]
        for (k, value) in v.settings { overrides[k] = value }
        let filter: GrokFilter
        do { filter = try GrokFilter(settings: GrokSettings.make(overrides), context: GrokSettings.context) } catch {
            return ["does not compile: \(error)"]
        }
        var event = Event(message: v.line)
        var scratch = FilterContext()
        _ = filter.filter(&event, &scratch)
        var problems: [String] = []
        let failed = event.hasTag("_grokparsefailure")
        if failed == v.shouldMatch {
            problems.append(v.shouldMatch ? "did not match" : "matched but should not")
        }
        for (field, want) in v.expect where field != "message" || v.expectMulti["message"] == nil {
            let got = event[field: field]
            if !same(got, want) { problems.append("\(field): want \(JSON.encodeToString(want)), got \(got.map(JSON.encodeToString) ?? "nothing")") }
        }
        for (field, want) in v.expectMulti {
            let got = event[field: field]
            if !same(got, want) { problems.append("\(field): want \(JSON.encodeToString(want)), got \(got.map(JSON.encodeToString) ?? "nothing")") }
        }
        for field in v.absent where event[field: field] != nil {
            problems.append("\(field) should be absent, got \(JSON.encodeToString(event[field: field] ?? .null))")
        }
        return problems
    }

    /// Equal values, with ints and doubles compared as numbers of the same kind.
    static func same(_ got: Value?, _ want: Value) -> Bool {
        switch (got, want) {
        case (.double(let a)?, .double(let b)): return abs(a - b) < 1e-9
        case (.array(let a)?, .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { same($0, $1) }
        default: return got == want
        }
    }

    @Test func everyLogstashVectorPasses() {
        guard let vectors = Self.loadVectors() else {
            Issue.record("""
                Grok conformance vectors not found at \(Self.vectorsPath): the conformance suite \
                did NOT run. Check out ../shared/conformance/ next to the package to run it.
                """)
            return
        }
        var passed = 0
        for v in vectors {
            let problems = Self.check(v)
            if problems.isEmpty { passed += 1; continue }
            let detail = problems.joined(separator: "; ")
            Issue.record("vector #\(v.index) \(v.pattern) [\(v.ecs)] on `\(v.line.prefix(120))`: \(detail)")
        }
        print("grok conformance: \(passed)/\(vectors.count) vectors pass")
        #expect(vectors.count == 455)
    }
}
