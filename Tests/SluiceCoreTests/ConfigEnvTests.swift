import Testing
@testable import SluiceCore

@Suite("Config: ${VAR} substitution")
struct ConfigEnvTests {
    let env = ["HOST": "es.local", "PORT": "9200", "EMPTY": ""]

    @Test func substitutesStringsArraysAndHashValues() throws {
        let p = try ConfigTest.plugin("""
            x {
              url => "http://${HOST}:${PORT}/"
              hosts => ["${HOST}", 'b-${PORT}']
              map => { "${HOST}" => "${PORT}" }
              empty => "[${EMPTY}]"
              codec => line { format => "${HOST}" }
            }
            """, env: env)
        #expect(p[setting: "url"] == .string("http://es.local:9200/"))
        #expect(p[setting: "hosts"] == .array([.string("es.local"), .string("b-9200")]))
        // Keys are not substituted, as in Logstash.
        #expect(p[setting: "map"]?.hashEntries?.first?.key == "${HOST}")
        #expect(p[setting: "map"]?.hashEntries?.first?.value == .string("9200"))
        #expect(p[setting: "empty"] == .string("[]"))
        #expect(p[setting: "codec"]?.pluginValue?[setting: "format"] == .string("es.local"))
    }

    @Test func defaults() throws {
        let p = try ConfigTest.plugin("""
            x {
              a => "${MISSING:fallback}"
              b => "${HOST:unused}"
              c => "${MISSING:}"
              d => "${MISSING:http://x:1/p}"
              e => "${MISSING:with spaces}-${PORT}"
            }
            """, env: env)
        #expect(p[setting: "a"] == .string("fallback"))
        #expect(p[setting: "b"] == .string("es.local"))
        #expect(p[setting: "c"] == .string(""))
        #expect(p[setting: "d"] == .string("http://x:1/p"))
        #expect(p[setting: "e"] == .string("with spaces-9200"))
    }

    @Test func conditionStringsAreSubstituted() throws {
        let e = try ConfigTest.condition("[host] == \"${HOST}\" or [p] in [\"${PORT}\"]", env: env)
        #expect(e == .or(.compare(.field(ConfigTest.field("host")), .eq, .string("es.local")),
                         .contains(.field(ConfigTest.field("p")), .array([.string("9200")]), negated: false)))
    }

    @Test func notPlaceholdersAreLeftAlone() throws {
        let p = try ConfigTest.plugin(#"x { a => "$HOST ${1X} ${A-B} ${ ${unclosed" b => "%{field}" }"#, env: env)
        #expect(p[setting: "a"] == .string("$HOST ${1X} ${A-B} ${ ${unclosed"))
        #expect(p[setting: "b"] == .string("%{field}"))
    }

    @Test func namesMayHoldDots() throws {
        #expect(try EnvSubstitution.substitute("${a.b_c}", environment: ["a.b_c": "v"]) == "v")
        #expect(try EnvSubstitution.substitute("${_x}", environment: ["_x": "1"]) == "1")
    }

    @Test func undefinedVariableNamesItself() {
        do {
            _ = try EnvSubstitution.substitute("pre ${NOPE} post", environment: [:])
            Issue.record("expected an error")
        } catch {
            #expect(error.placeholder == "${NOPE}")
            #expect(error.name == "NOPE")
            #expect(error.offset == 4)
        }
    }

    @Test func processEnvironmentByDefault() throws {
        // PATH is set in every test environment.
        let c = try ConfigParser.parse("input { x { a => \"${PATH}\" } }")
        guard case .plugin(let p)? = c.inputs.first, case .string(let s)? = p[setting: "a"] else {
            Issue.record("plugin expected"); return
        }
        #expect(!s.isEmpty && s != "${PATH}")
    }

    @Test func substitutionCanBeTurnedOff() throws {
        let c = try ConfigParser.parse("input { x { a => \"${NOPE}\" } }",
                                       options: ParseOptions(substituteVariables: false))
        guard case .plugin(let p)? = c.inputs.first else { Issue.record("plugin expected"); return }
        #expect(p[setting: "a"] == .string("${NOPE}"))
    }

    @Test func loaderPassesTheEnvironment() throws {
        let c = try ConfigLoader.load(string: "input { x { a => \"${V}\" } }", environment: ["V": "ok"])
        guard case .plugin(let p)? = c.inputs.first else { Issue.record("plugin expected"); return }
        #expect(p[setting: "a"] == .string("ok"))
    }
}
