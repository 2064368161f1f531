import Testing
@testable import SluiceCore

@Suite("Config: did-you-mean suggestions")
struct ConfigSuggestTests {
    let plugins = ["mutate", "grok", "date", "json", "json_lines", "elasticsearch", "stdout", "stdin", "drop"]

    @Test func typos() {
        #expect(Suggest.closest(to: "mutat", in: plugins) == "mutate")
        #expect(Suggest.closest(to: "mutaet", in: plugins) == "mutate")  // transposition
        #expect(Suggest.closest(to: "grk", in: plugins) == "grok")
        #expect(Suggest.closest(to: "MUTATE", in: plugins) == "mutate")
        #expect(Suggest.closest(to: "elasticsaerch", in: plugins) == "elasticsearch")
        #expect(Suggest.closest(to: "json_line", in: plugins) == "json_lines")
        #expect(Suggest.closest(to: "stdot", in: plugins) == "stdout")
    }

    @Test func truncatedNames() {
        #expect(Suggest.closest(to: "elastic", in: plugins) == "elasticsearch")
    }

    @Test func nothingCloseEnough() {
        #expect(Suggest.closest(to: "kafka", in: plugins) == nil)
        #expect(Suggest.closest(to: "xy", in: plugins) == nil)
        #expect(Suggest.closest(to: "", in: plugins) == nil)
        #expect(Suggest.closest(to: "mutate", in: []) == nil)
    }

    @Test func closestWins() {
        #expect(Suggest.closest(to: "stdi", in: plugins) == "stdin")
        #expect(Suggest.closest(to: "dat", in: ["data", "date"]) == "data")
    }

    @Test func distance() {
        let d = { (a: String, b: String) in Suggest.distance(Array(a.unicodeScalars), Array(b.unicodeScalars)) }
        #expect(d("", "abc") == 3)
        #expect(d("kitten", "sitting") == 3)
        #expect(d("ab", "ba") == 1)
        #expect(d("same", "same") == 0)
    }
}
