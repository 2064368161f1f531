import SluiceCore
import SluiceTesting
import Testing

@testable import GrokPlugins

/// One test per grok setting, through the pipeline harness (so the settings go through
/// the real config parser and validation).
@Suite("grok settings")
struct GrokFilterTests {
    @Test func declaresLogstashNamesAndDefaults() {
        let specs = Dictionary(uniqueKeysWithValues: GrokFilter.settingSpecs.map { ($0.name, $0) })
        #expect(specs["break_on_match"]?.defaultValue == true)
        #expect(specs["named_captures_only"]?.defaultValue == true)
        #expect(specs["keep_empty_captures"]?.defaultValue == false)
        #expect(specs["tag_on_failure"]?.defaultValue == ["_grokparsefailure"])
        #expect(specs["tag_on_timeout"]?.defaultValue == "_groktimeout")
        #expect(specs["timeout_millis"]?.defaultValue == 30000)
        #expect(specs["patterns_files_glob"]?.defaultValue == "*")
        #expect(specs["ecs_compatibility"]?.type == .oneOf(["disabled", "v1", "v8"]))
        #expect(specs.values.allSatisfy { !$0.doc.isEmpty })
        #expect(GrokSettings.errors(#"grok { match => { "message" => "%{WORD:w}" } breakon_match => false }"#)?
            .contains("did you mean `break_on_match`?") == true)
        #expect(GrokSettings.errors(#"grok { ecs_compatibility => "v2" }"#)?.contains("must be one of") == true)
    }

    @Test func matchTakesSeveralFieldsAndArraysOfPatterns() async throws {
        let events = try await PipelineHarness(registry: GrokSettings.registry).run("""
            filter { grok { match => { "message" => ["^A %{INT:a:int}$", "^B %{WORD:b}$"] "other" => "%{IP:ip}" }
                            break_on_match => false } }
            """, events: [Event(message: "B bee"), {
                var e = Event(message: "A 7"); e.fields.set("other", "from 10.0.0.1"); return e }()]).events
        #expect(events[0][field: "b"] == "bee")
        #expect(events[0].hasTag("_grokparsefailure") == false)
        #expect(events[1][field: "a"] == 7)
        #expect(events[1][field: "ip"] == "10.0.0.1")
        // Logstash's array form, a field repeated: both patterns are tried.
        let old = try await GrokSettings.pipeline(#"grok { match => ["message", "^A %{INT:a}$", "message", "^B %{WORD:b}$"] }"#,
                                                  ["A 1", "B x"])
        #expect(old[0][field: "a"] == "1")
        #expect(old[1][field: "b"] == "x")
    }

    @Test func breakOnMatchStopsAtTheFirstMatchingPattern() async throws {
        let body = #"match => { "message" => ["%{WORD:first}", "%{INT:second}"] }"#
        let stop = try await GrokSettings.pipeline("grok { \(body) }", ["word 42"])
        #expect(stop[0][field: "first"] == "word")
        #expect(stop[0][field: "second"] == nil)
        let all = try await GrokSettings.pipeline("grok { \(body) break_on_match => false }", ["word 42"])
        #expect(all[0][field: "first"] == "word")
        #expect(all[0][field: "second"] == "42")
    }

    @Test func namedCapturesOnlyFalseStoresUnnamedPatterns() async throws {
        let on = try await GrokSettings.pipeline(#"grok { match => { "message" => "%{WORD} %{INT:n}" } }"#, ["a 1"])
        #expect(on[0][field: "WORD"] == nil)
        let off = try await GrokSettings.pipeline(
            #"grok { match => { "message" => "%{WORD} %{INT:n}" } named_captures_only => false }"#, ["a 1"])
        #expect(off[0][field: "WORD"] == "a")
        #expect(off[0][field: "n"] == "1")
    }

    @Test func keepEmptyCapturesKeepsEmptyAndUnsetCaptures() async throws {
        let pattern = #"match => { "message" => "^(?<empty>x*)-(?<unset>y)?%{GREEDYDATA:rest}$" }"#
        let drop = try await GrokSettings.pipeline("grok { \(pattern) }", ["-z"])
        #expect(drop[0][field: "empty"] == nil)
        #expect(drop[0][field: "unset"] == nil)
        #expect(drop[0][field: "rest"] == "z")
        let keep = try await GrokSettings.pipeline("grok { \(pattern) keep_empty_captures => true }", ["-z"])
        #expect(keep[0][field: "empty"] == "")
        #expect(keep[0][field: "unset"] == .null)
    }

    @Test func overwriteReplacesInsteadOfAppending() async throws {
        let pattern = #"match => { "message" => "^%{WORD:level}: %{GREEDYDATA:message}$" }"#
        let append = try await GrokSettings.pipeline("grok { \(pattern) }", ["WARN: disk full"])
        #expect(append[0][field: "message"] == ["WARN: disk full", "disk full"])
        let replace = try await GrokSettings.pipeline(#"grok { \#(pattern) overwrite => ["message"] }"#, ["WARN: disk full"])
        #expect(replace[0][field: "message"] == "disk full")
        #expect(replace[0][field: "level"] == "WARN")
    }

    @Test func patternDefinitionsAddAndOverridePatterns() async throws {
        let events = try await GrokSettings.pipeline("""
            grok { match => { "message" => "%{QUEUEID:queue} %{WORD:w}" }
                   pattern_definitions => { "QUEUEID" => "[0-9A-F]{10,11}" "WORD" => "[a-z]+" } }
            """, ["BEF25A72965 abc", "BEF25A72965 ABC"])
        #expect(events[0][field: "queue"] == "BEF25A72965")
        #expect(events[0][field: "w"] == "abc")
        #expect(events[1].hasTag("_grokparsefailure"))
    }

    @Test func patternsDirReadsLogstashPatternFiles() async throws {
        let dir = try GrokSettings.tempDir()
        try FileIO.writeAtomically(dir + "/postfix", Array("""
            # Postfix patterns, Logstash's file format
              # indented comment

            POSTFIX_QUEUEID [0-9A-F]{10,11}
            POSTFIX_LINE %{SYSLOGBASE} %{POSTFIX_QUEUEID:queue_id}: %{GREEDYDATA:syslog_message}\r
            NOWHITESPACE
            """.utf8))
        try FileIO.writeAtomically(dir + "/extra.txt", Array("ONLY_IN_TXT x+\n".utf8))
        let line = "Jan  1 06:25:43 mailserver14 postfix/cleanup[21403]: BEF25A72965: message-id=<x@y>"
        let events = try await GrokSettings.pipeline(#"""
            grok { patterns_dir => ["\#(dir)"] ecs_compatibility => disabled match => { "message" => "%{POSTFIX_LINE}" } }
            """#, [line])
        #expect(events[0][field: "queue_id"] == "BEF25A72965")
        #expect(events[0][field: "program"] == "postfix/cleanup")
        #expect(events[0][field: "pid"] == "21403")
        #expect(events[0][field: "syslog_message"] == "message-id=<x@y>")
        // patterns_files_glob limits which files are read; a file path works too.
        #expect(GrokSettings.errors(#"grok { patterns_dir => ["\#(dir)"] patterns_files_glob => "*.txt" match => { "message" => "%{POSTFIX_QUEUEID}" } }"#)?
            .contains("unknown pattern `%{POSTFIX_QUEUEID}`") == true)
        #expect(GrokSettings.errors(#"grok { patterns_dir => ["\#(dir)/extra.txt"] match => { "message" => "%{ONLY_IN_TXT}" } }"#) == nil)
        #expect(GrokSettings.errors(#"grok { patterns_dir => ["\#(dir)/missing"] }"#)?.contains("does not exist") == true)
    }

    @Test func tagOnFailureReplacesTheDefaultTag() async throws {
        let events = try await GrokSettings.pipeline(
            #"grok { match => { "message" => "^%{INT}$" } tag_on_failure => ["nope", "_custom"] add_tag => ["ok"] }"#,
            ["abc", "12"])
        #expect(events[0].tags == ["nope", "_custom"])
        #expect(events[1].tags == ["ok"])
    }

    @Test func timeoutTagsRunawayPatternsAndTheWorkerGoesOn() async throws {
        // How fast the limit stops a runaway match is checked in GrokRobustnessTests.
        let runaway = String(repeating: "a", count: 40) + "b"
        let events = try await GrokSettings.pipeline(#"""
            grok { match => { "message" => "^(a+)+$" } timeout_millis => 100 tag_on_timeout => "_slow" }
            """#, [runaway, "aaaa"])
        #expect(events[0].tags == ["_slow"])
        #expect(events[1].tags.isEmpty)
        let scoped = try await GrokSettings.pipeline(
            #"grok { match => { "message" => "^(a+)+$" } timeout_millis => 100 timeout_scope => "event" }"#, [runaway])
        #expect(scoped[0].tags == ["_groktimeout"])
        #expect(GrokSettings.errors(#"grok { timeout_scope => "forever" }"#)?.contains("must be one of") == true)
    }

    @Test func targetPutsCapturesUnderAField() async throws {
        let events = try await GrokSettings.pipeline(
            #"grok { match => { "message" => "%{WORD:verb} %{INT:[status][code]:int}" } target => "[parsed]" }"#, ["GET 200"])
        #expect(events[0][field: "[parsed][verb]"] == "GET")
        #expect(events[0][field: "[parsed][status][code]"] == 200)
        #expect(events[0][field: "verb"] == nil)
    }

    @Test func ecsCompatibilityChoosesThePatternSet() async throws {
        let line = #"10.1.2.3 - bob [24/Feb/2015:23:13:42 +0000] "GET /a HTTP/1.1" 200 12 "-" "curl/8""#
        let legacy = try await GrokSettings.pipeline(
            #"grok { match => { "message" => "%{COMBINEDAPACHELOG}" } ecs_compatibility => disabled }"#, [line])
        #expect(legacy[0][field: "clientip"] == "10.1.2.3")
        #expect(legacy[0][field: "response"] == "200")
        for mode in ["v1", "v8"] {
            let ecs = try await GrokSettings.pipeline(
                #"grok { match => { "message" => "%{COMBINEDAPACHELOG}" } ecs_compatibility => \#(mode) }"#, [line])
            #expect(ecs[0][field: "[source][address]"] == "10.1.2.3")
            #expect(ecs[0][field: "[http][response][status_code]"] == 200)
            #expect(ecs[0][field: "[user][name]"] == "bob")
            #expect(ecs[0][field: "clientip"] == nil)
        }
        // The default follows current Logstash: v8.
        let byDefault = try await GrokSettings.pipeline(#"grok { match => { "message" => "%{COMBINEDAPACHELOG}" } }"#, [line])
        #expect(byDefault[0][field: "[url][original]"] == "/a")
        // `pipeline.ecs_compatibility` replaces that default; the filter's own setting wins.
        var harness = PipelineHarness(registry: GrokSettings.registry)
        harness.settings.ecsCompatibility = "disabled"
        let viaPipeline = try await harness.run(#"filter { grok { match => { "message" => "%{COMBINEDAPACHELOG}" } } }"#,
                                                events: [Event(message: line)]).events
        #expect(viaPipeline[0][field: "clientip"] == "10.1.2.3")
        #expect(viaPipeline[0][field: "[url][original]"] == nil)
        let explicit = try await harness.run(#"filter { grok { match => { "message" => "%{COMBINEDAPACHELOG}" } ecs_compatibility => v8 } }"#,
                                             events: [Event(message: line)]).events
        #expect(explicit[0][field: "[url][original]"] == "/a")
    }

    @Test func sourceValuesThatAreNotStrings() async throws {
        var list = Event(message: "x")
        list.fields.set("codes", ["a-1", "b-2", "c"])
        var number = Event(message: "y")
        number.fields.set("n", 42)
        let events = try await PipelineHarness(registry: GrokSettings.registry).run("""
            filter { grok { match => { "codes" => "^%{WORD:letter}-%{INT:digit}$" "n" => "^%{INT:copy:int}$" } break_on_match => false } }
            """, events: [list, number]).events
        // Every element of an array is tried; captures accumulate.
        #expect(events[0][field: "letter"] == ["a", "b"])
        #expect(events[0][field: "digit"] == ["1", "2"])
        #expect(events[1][field: "copy"] == 42)
        // A missing field is matched as the empty string, as Logstash does.
        let missing = try await GrokSettings.pipeline(#"grok { match => { "absent" => "^$" } add_tag => ["empty"] }"#, ["z"])
        #expect(missing[0].tags == ["empty"])
    }
}
