import Testing
@testable import SluiceCore

/// Shared helpers for the Config* and Condition* tests.
enum ConfigTest {
    static func parse(_ text: String, name: String = "test.conf", escapes: Bool = false,
                      env: [String: String] = [:]) throws -> PipelineConfig {
        try ConfigParser.parse(text, name: name, options: ParseOptions(supportEscapes: escapes, environment: env))
    }

    /// The errors parsing `text` produces (fails the test when it parses).
    static func errors(_ text: String, name: String = "test.conf", escapes: Bool = false,
                       env: [String: String] = [:], sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [ConfigError] {
        do {
            _ = try ConfigParser.parse(text, name: name, options: ParseOptions(supportEscapes: escapes, environment: env))
            Issue.record("expected a config error", sourceLocation: sourceLocation)
            return []
        } catch {
            return error.errors
        }
    }

    /// The single plugin of a one-plugin filter section.
    static func plugin(_ body: String, escapes: Bool = false, env: [String: String] = [:]) throws -> PluginNode {
        let config = try parse("filter {\n\(body)\n}", escapes: escapes, env: env)
        guard case .plugin(let p)? = config.filters.first else {
            Issue.record("no plugin parsed")
            return PluginNode(name: "", settings: [], location: SourceFile(name: "", text: "").location(ofOffset: 0), section: nil)
        }
        return p
    }

    /// The condition of `if COND { }` inside a filter section.
    static func condition(_ cond: String, env: [String: String] = [:]) throws -> Expression {
        let config = try parse("filter {\n  if \(cond) { noop {} }\n}", env: env)
        guard case .conditional(let c)? = config.filters.first, let b = c.branches.first else {
            Issue.record("no conditional parsed")
            return .truthy(.string(""))
        }
        return b.condition
    }

    /// Parses and compiles `cond`, then evaluates it against `event`.
    static func eval(_ cond: String, _ event: Event) throws -> Bool {
        let e = try condition(cond)
        let compiled = try ConditionCompiler.compile(e, at: SourceFile(name: "t", text: cond).location(ofOffset: 0))
        return compiled(event)
    }

    static func event(_ fields: [(String, Value)]) -> Event {
        var m = FieldMap()
        for (k, v) in fields { m.set(k, v) }
        return Event(fields: m, stamp: false)
    }

    /// The path of a fixture under Fixtures/config.
    static func fixture(_ name: String, file: String = #filePath) -> String {
        let dir = file.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return dir + "/Fixtures/config/" + name
    }

    static func field(_ text: String) -> FieldReference {
        (try? FieldReference(parsing: text)) ?? FieldReference(path: [text])
    }
}
