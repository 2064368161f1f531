import Testing
@testable import SluiceCore

@Suite("Config: duplicate settings merge as in Logstash")
struct ConfigMergeTests {
    @Test func hashesMerge() throws {
        let p = try ConfigTest.plugin("""
            grok {
              match => { "message" => "%{A}" }
              tag_on_failure => []
              match => { "agent" => "%{B}" }
            }
            """)
        #expect(p.settings.map(\.name) == ["match", "tag_on_failure"])
        let m = try #require(p[setting: "match"]?.hashEntries)
        #expect(m.map(\.key) == ["message", "agent"])
        #expect(m.map(\.value) == [.string("%{A}"), .string("%{B}")])
        // The merged setting keeps the first occurrence's location.
        #expect(p.settings[0].location.line == 3)
    }

    @Test func sameKeyInMergedHashesCollectsValues() throws {
        let p = try ConfigTest.plugin("""
            grok {
              match => { "message" => "a" "other" => "x" }
              match => { "message" => "b" "other" => "x" }
              match => { "message" => ["c", "d"] }
              nested => { "h" => { "k" => 1 "l" => [1] } }
              nested => { "h" => { "k" => 2 "l" => [1, 2] } }
            }
            """)
        #expect(p[setting: "match"]?[key: "message"] == .array([.string("a"), .string("b"), .string("c"), .string("d")]))
        #expect(p[setting: "match"]?[key: "other"] == .string("x"))
        // Nested hashes merge with arrays as sets (util.rb `hash_merge`).
        #expect(p[setting: "nested"]?[key: "h"]?[key: "k"] == .array([.number("1"), .number("2")]))
        #expect(p[setting: "nested"]?[key: "h"]?[key: "l"] == .array([.number("1"), .number("2")]))
    }

    @Test func arraysConcatenate() throws {
        let p = try ConfigTest.plugin("""
            mutate {
              add_tag => ["a", "b"]
              add_tag => ["b", "c"]
              add_tag => "d"
            }
            """)
        #expect(p[setting: "add_tag"] == .array([.string("a"), .string("b"), .string("b"), .string("c"), .string("d")]))
    }

    @Test func scalarsCombineIntoAnArray() throws {
        let p = try ConfigTest.plugin("""
            x {
              path => "/a"
              path => "/b"
              path => "/c"
              same => 1
              same => 1
            }
            """)
        #expect(p[setting: "path"] == .array([.string("/a"), .string("/b"), .string("/c")]))
        #expect(p[setting: "same"] == .number("1"))
    }

    @Test func codecSettingsMergeToo() throws {
        let p = try ConfigTest.plugin("x { codec => line { format => \"a\" format => \"b\" } }")
        #expect(p[setting: "codec"]?.pluginValue?[setting: "format"] == .array([.string("a"), .string("b")]))
    }

    @Test func mergeFunctionDirectly() {
        #expect(SettingMerge.combine(.string("a"), .array([.string("b")])) == .array([.string("a"), .array([.string("b")])]))
        #expect(SettingMerge.combine(.array([]), .array([.number("1")])) == .array([.number("1")]))
    }
}
