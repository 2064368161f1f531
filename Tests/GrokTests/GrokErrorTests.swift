import SluiceCore
import SluiceTesting
import Testing

@testable import GrokPlugins

/// Pattern problems are configuration errors with the file:line:col of the setting.
@Suite("grok errors")
struct GrokErrorTests {
    static func check(_ config: String) -> String {
        PipelineHarness(registry: GrokSettings.registry).check(config).map { "\($0)" } ?? "no error"
    }

    @Test func unknownPatternNamesFileLineColumnAndSuggests() {
        let text = Self.check("""
            filter {
              grok { match => { "message" => "%{IPV44:client}" } }
            }
            """)
        #expect(text.contains(":2:10: error: grok: `match`: `message`: unknown pattern `%{IPV44}`"), "\(text)")
        #expect(text.contains("did you mean `IPV4`?"), "\(text)")
        #expect(text.contains("^"), "\(text)")
    }

    @Test func unknownPatternInsideAnotherPatternNamesItsUser() {
        let text = Self.check(#"filter { grok { pattern_definitions => { "OUTER" => "%{INNER_MISSING}" } match => { "message" => "%{OUTER}" } } }"#)
        #expect(text.contains("unknown pattern `%{INNER_MISSING}` (used by pattern `OUTER`)"), "\(text)")
    }

    @Test func cyclesAreReportedWithThePath() {
        let text = Self.check("""
            filter {
              grok {
                pattern_definitions => { "A" => "x%{B}" "B" => "%{C}" "C" => "%{A}" }
                match => { "message" => "%{A}" }
              }
            }
            """)
        #expect(text.contains(":4:5: error: grok: `match`: `message`: pattern cycle: A -> B -> C -> A"), "\(text)")
        let selfCycle = Self.check(#"filter { grok { pattern_definitions => { "SELF" => "a%{SELF}?" } match => { "message" => "%{SELF}" } } }"#)
        #expect(selfCycle.contains("pattern cycle: SELF -> SELF"), "\(selfCycle)")
    }

    @Test func invalidRegexNamesTheDefinitionAtFault() throws {
        let dir = try GrokSettings.tempDir()
        try FileIO.writeAtomically(dir + "/bad", Array("OK \\d+\nBROKEN [a-\n".utf8))
        let text = Self.check(#"filter { grok { patterns_dir => ["\#(dir)"] match => { "message" => "%{OK} %{BROKEN}" } } }"#)
        #expect(text.contains("invalid regular expression in pattern `BROKEN` (\(dir)/bad:2)"), "\(text)")
        let inline = Self.check(#"filter { grok { match => { "message" => "%{WORD} (unclosed" } } }"#)
        #expect(inline.contains("invalid regular expression in `%{WORD} (unclosed`: missing closing parenthesis"), "\(inline)")
    }

    @Test func badFieldNamesAndValues() {
        #expect(Self.check(#"filter { grok { match => { "message" => "(?<[a>x)" } } }"#).contains("invalid field name `[a`"))
        #expect(Self.check(#"filter { grok { match => { "[bad" => "x" } } }"#).contains("invalid field reference"))
        #expect(Self.check(#"filter { grok { match => { "message" => 42 } } }"#) == "no error")  // numbers are text to Logstash
        #expect(Self.check(#"filter { grok { match => { "message" => { "a" => "b" } } } }"#).contains("must be strings"))
        #expect(Self.check(#"filter { grok { overwrite => ["[x"] } }"#).contains("`overwrite`"))
    }

    @Test func errorsStopAPipelineBeforeItStarts() async {
        await #expect(throws: (any Error).self) {
            _ = try await GrokSettings.pipeline(#"grok { match => { "message" => "%{NOPE}" } }"#, ["x"])
        }
    }

    @Test func expansionThatExplodesIsRefused() {
        // Each level doubles the previous one: 2^24 copies of "x".
        var defs = #""L0" => "x""#
        for i in 1...24 { defs += #" "L\#(i)" => "%{L\#(i - 1)}%{L\#(i - 1)}""# }
        let text = Self.check(#"filter { grok { pattern_definitions => { \#(defs) } match => { "message" => "%{L24}" } } }"#)
        #expect(text.contains("pattern expands to more than"), "\(text)")
    }
}
