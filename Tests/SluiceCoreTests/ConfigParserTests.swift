import Testing
@testable import SluiceCore

@Suite("Config parser: grammar")
struct ConfigParserTests {
    @Test func emptyAndCommentOnlyConfigs() throws {
        for text in ["", "   \n\t\n", "# only a comment", "# a\n# b\n", "input { } # trailing comment without newline"] {
            let c = try ConfigTest.parse(text)
            #expect(c.inputs.isEmpty && c.filters.isEmpty && c.outputs.isEmpty)
        }
        #expect(try ConfigTest.parse("").hasInputs == false)
        #expect(try ConfigTest.parse("input { }").hasInputs == true)
        #expect(try ConfigTest.parse("input { }").hasOutputs == false)
    }

    @Test func sectionsInAnyOrderAndRepeated() throws {
        let c = try ConfigTest.parse("""
            output { o1 {} }
            filter { f1 {} }
            input { i1 {} }
            filter { f2 {} f3 {} }
            input { i2 {} }
            output { o2 {} }
            """)
        let names = { (s: [Statement]) in s.compactMap { if case .plugin(let p) = $0 { return p.name } else { return nil } } }
        #expect(names(c.inputs) == ["i1", "i2"])
        #expect(names(c.filters) == ["f1", "f2", "f3"])
        #expect(names(c.outputs) == ["o1", "o2"])
        #expect(c.hasInputs && c.hasOutputs)
        if case .plugin(let p)? = c.inputs.first { #expect(p.section == .input) }
        if case .plugin(let p)? = c.outputs.first { #expect(p.section == .output) }
    }

    @Test func scalarValues() throws {
        let p = try ConfigTest.plugin("""
            x {
              dq => "double quoted"
              sq => 'single quoted'
              int => 5044
              neg => -12
              float => 1.5
              trailing_dot => 3.
              word => true
              under_score => some_word
            }
            """)
        #expect(p.name == "x")
        #expect(p[setting: "dq"] == .string("double quoted"))
        #expect(p[setting: "sq"] == .string("single quoted"))
        #expect(p[setting: "int"] == .number("5044"))
        #expect(p[setting: "int"]?.intValue == 5044)
        #expect(p[setting: "neg"] == .number("-12"))
        #expect(p[setting: "float"] == .number("1.5"))
        #expect(p[setting: "float"]?.doubleValue == 1.5)
        #expect(p[setting: "trailing_dot"] == .number("3."))
        #expect(p[setting: "word"] == .bareword("true"))
        #expect(p[setting: "word"]?.boolValue == true)
        #expect(p[setting: "under_score"] == .bareword("some_word"))
        #expect(p.settings.map(\.name) == ["dq", "sq", "int", "neg", "float", "trailing_dot", "word", "under_score"])
    }

    @Test func multiLineStringsKeepNewlines() throws {
        let p = try ConfigTest.plugin("ruby { code => \"a = 1\n  b = 2\" }")
        #expect(p[setting: "code"] == .string("a = 1\n  b = 2"))
    }

    @Test func arrays() throws {
        let p = try ConfigTest.plugin("""
            x {
              empty => []
              mixed => [a, "b", 3, 'd', -1.5]
              trailing => ["a", "b",]
              nested => [[1, 2], ["x"]]
              hashes => [{ a => 1 }, { "b" => "c" }]
              multi => [
                "one",   # first
                # a comment on its own line
                "two"
                , "three"
              ]
            }
            """)
        #expect(p[setting: "empty"] == .array([]))
        #expect(p[setting: "mixed"] == .array([.bareword("a"), .string("b"), .number("3"), .string("d"), .number("-1.5")]))
        #expect(p[setting: "trailing"] == .array([.string("a"), .string("b")]))
        #expect(p[setting: "nested"] == .array([.array([.number("1"), .number("2")]), .array([.string("x")])]))
        #expect(p[setting: "hashes"]?.arrayValue?.count == 2)
        #expect(p[setting: "multi"] == .array([.string("one"), .string("two"), .string("three")]))
    }

    @Test func hashes() throws {
        let p = try ConfigTest.plugin("""
            x {
              empty => {}
              plain => { "a" => "1" b => 2 'c' => three }
              commas => { "a" => 1, "b" => 2, }
              numeric => { 200 => "ok" -1 => "neg" }
              nested => {
                "outer" => { "inner" => [1, 2] }  # comment inside a hash
                # comment line inside a hash
              }
            }
            """)
        #expect(p[setting: "empty"] == .hash([]))
        let plain = try #require(p[setting: "plain"]?.hashEntries)
        #expect(plain.map(\.key) == ["a", "b", "c"])
        #expect(plain.map(\.value) == [.string("1"), .number("2"), .bareword("three")])
        #expect(p[setting: "commas"]?.hashEntries?.map(\.key) == ["a", "b"])
        #expect(p[setting: "numeric"]?.hashEntries?.map(\.key) == ["200", "-1"])
        #expect(p[setting: "nested"]?[key: "outer"]?[key: "inner"] == .array([.number("1"), .number("2")]))
    }

    @Test func pluginValuedSettings() throws {
        let p = try ConfigTest.plugin("""
            x {
              codec => json_lines { charset => "UTF-8" }
              other => json
              quoted => "line" { format => "%{message}" }
            }
            """)
        let codec = try #require(p[setting: "codec"]?.pluginValue)
        #expect(codec.name == "json_lines")
        #expect(codec.section == nil)
        #expect(codec[setting: "charset"] == .string("UTF-8"))
        #expect(codec.location.line == 3 && codec.location.column == 12)
        #expect(p[setting: "other"] == .bareword("json"))
        #expect(p[setting: "quoted"]?.pluginValue?.name == "line")
    }

    @Test func quotedAndDashedNames() throws {
        let c = try ConfigTest.parse("""
            filter {
              "mutate" { "add_tag" => "x" 'remove-tag' => "y" }
              my-plugin { some-setting => 1 }
            }
            """)
        guard case .plugin(let a) = c.filters[0], case .plugin(let b) = c.filters[1] else {
            Issue.record("plugins expected"); return
        }
        #expect(a.name == "mutate")
        #expect(a.settings.map(\.name) == ["add_tag", "remove-tag"])
        #expect(b.name == "my-plugin")
        #expect(b.settings.map(\.name) == ["some-setting"])
    }

    @Test func commentsEverywhere() throws {
        let c = try ConfigTest.parse("""
            # header
            input # after section name
            { # after brace
              x # after plugin name
              { # inside plugin
                a # after setting name
                => # after arrow
                "v" # after value
                h => { # in hash
                  "k" # after key
                  => "v" # after value
                  # between entries
                  "k2" => "v2"
                } # after hash
                arr => [ # in array
                  1, # after element
                  2 # before bracket
                ]
              } # after plugin
            } # after section
            # before end of file, no newline
            """)
        guard case .plugin(let p)? = c.inputs.first else { Issue.record("plugin expected"); return }
        #expect(p[setting: "a"] == .string("v"))
        #expect(p[setting: "h"]?.hashEntries?.map(\.key) == ["k", "k2"])
        #expect(p[setting: "arr"] == .array([.number("1"), .number("2")]))
    }

    @Test func hashInsideStringIsNotAComment() throws {
        let p = try ConfigTest.plugin("x { a => \"# not a comment\" b => '#{ruby}' }")
        #expect(p[setting: "a"] == .string("# not a comment"))
        #expect(p[setting: "b"] == .string("#{ruby}"))
    }

    @Test func crlfLineEndingsAndByteOrderMark() throws {
        let c = try ConfigTest.parse("\u{FEFF}input {\r\n  x {\r\n    a => 1\r\n  }\r\n}\r\n")
        guard case .plugin(let p)? = c.inputs.first else { Issue.record("plugin expected"); return }
        #expect(p[setting: "a"] == .number("1"))
        #expect(p.location.line == 2 && p.location.column == 3)
    }

    @Test func locations() throws {
        let c = try ConfigTest.parse("""
            filter {
              mutate {
                add_field => { "a" => "b" }
                  id => "m1"
              }
            }
            """)
        guard case .plugin(let p)? = c.filters.first else { Issue.record("plugin expected"); return }
        #expect(p.location.description == "test.conf:2:3")
        #expect(p.settings[0].location.description == "test.conf:3:5")
        #expect(p.settings[0].valueLocation.description == "test.conf:3:18")
        #expect(p.settings[0].value.hashEntries?.first?.location.description == "test.conf:3:20")
        #expect(p.settings[1].location.description == "test.conf:4:7")
        #expect(p.location.lineText == "  mutate {")
    }

    @Test func escapedQuoteWithoutSupportEscapes() throws {
        let p = try ConfigTest.plugin(#"x { a => "say \"hi\"" b => 'it\'s' c => "back\slash\n" }"#)
        #expect(p[setting: "a"] == .string(#"say \"hi\""#))
        #expect(p[setting: "b"] == .string(#"it\'s"#))
        #expect(p[setting: "c"] == .string(#"back\slash\n"#))
    }

    @Test func supportEscapes() throws {
        let p = try ConfigTest.plugin(#"x { a => "q\"d\'b\\n\nr\rt\tz\0u\d" b => 'it\'s' c => "ends with \\" }"#, escapes: true)
        #expect(p[setting: "a"] == .string("q\"d'b\\n\nr\rt\tz\0u\\d"))
        #expect(p[setting: "b"] == .string("it's"))
        #expect(p[setting: "c"] == .string("ends with \\"))
    }

    @Test func stringEscapeFunction() {
        #expect(StringEscape.process(#"a\nb"#) == "a\nb")
        #expect(StringEscape.process(#"\\\""#) == "\\\"")
        #expect(StringEscape.process(#"\x"#) == #"\x"#)
        #expect(StringEscape.process(#"trailing\"#) == #"trailing\"#)
        #expect(StringEscape.process("plain") == "plain")
    }

    @Test func conditionalsIfElseIfElse() throws {
        let c = try ConfigTest.parse("""
            filter {
              if [type] == "a" {
                a {}
              } else if [type] == "b" {
                b1 {} b2 {}
              } else if [type] == "c" {
              } else {
                z {}
              }
              after {}
            }
            """)
        #expect(c.filters.count == 2)
        guard case .conditional(let cond) = c.filters[0] else { Issue.record("conditional expected"); return }
        #expect(cond.branches.count == 3)
        #expect(cond.branches[0].condition == .compare(.field(ConfigTest.field("type")), .eq, .string("a")))
        #expect(cond.branches[1].body.count == 2)
        #expect(cond.branches[2].body.isEmpty)
        #expect(cond.elseBody?.count == 1)
        #expect(cond.branches[0].location.description == "test.conf:2:6")
        #expect(cond.branches[1].location.description == "test.conf:4:13")
    }

    @Test func ifWithoutElse() throws {
        let c = try ConfigTest.parse("output { if [a] { x {} } y {} }")
        guard case .conditional(let cond) = c.outputs[0] else { Issue.record("conditional expected"); return }
        #expect(cond.elseBody == nil)
        #expect(cond.branches[0].condition == .truthy(.field(ConfigTest.field("a"))))
        if case .plugin(let p) = cond.branches[0].body[0] { #expect(p.section == .output) }
    }

    @Test func nestedConditionals() throws {
        let c = try ConfigTest.parse("""
            input { if [a] { if [b] { if [c] { x {} } else { y {} } } } }
            filter {
              if [a] {
                if [b] { x {} } else if [c] { if [d] { y {} } }
              } else {
                if [e] { z {} }
              }
            }
            """)
        guard case .conditional(let outer) = c.filters[0],
              case .conditional(let inner) = outer.branches[0].body[0],
              case .conditional(let innermost) = inner.branches[1].body[0],
              case .conditional(let inElse)? = outer.elseBody?.first
        else { Issue.record("nesting lost"); return }
        #expect(innermost.branches[0].condition == .truthy(.field(ConfigTest.field("d"))))
        #expect(inElse.branches[0].condition == .truthy(.field(ConfigTest.field("e"))))
        guard case .conditional(let i1) = c.inputs[0], case .conditional(let i2) = i1.branches[0].body[0],
              case .conditional(let i3) = i2.branches[0].body[0] else { Issue.record("input nesting lost"); return }
        #expect(i3.elseBody?.count == 1)
    }

    @Test func keywordsNeedWordBoundaries() throws {
        // `iffy` and `elsewhere` are plugin names, not keywords.
        let c = try ConfigTest.parse("filter { iffy {} elsewhere {} }")
        #expect(c.filters.count == 2)
    }
}
