import Foundation
import SluiceCore
import Testing

@testable import SluiceCLI

/// sluice.yml through Yams: flat and nested keys, scalars of any style, line numbers in
/// errors, unknown and duplicate keys refused by name, aliases capped.
@Suite struct SettingsYAMLTests {
    private func entries(_ yaml: String) throws -> [String] {
        try SettingsYAML.entries(yaml).map { "\($0.0):\($0.1)=\($0.2)" }
    }

    private func failure(_ yaml: String) -> SettingsYAML.Failure? {
        do {
            _ = try SettingsYAML.entries(yaml)
            return nil
        } catch {
            return error
        }
    }

    @Test func flatNestedAndFlowFormsGiveTheSameKeys() throws {
        #expect(try entries("pipeline.workers: 2\npipeline.batch.size: 7\n") == ["1:pipeline.workers=2", "2:pipeline.batch.size=7"])
        #expect(try entries("pipeline:\n  workers: 2\n  batch:\n    size: 7\n") == ["2:pipeline.workers=2", "4:pipeline.batch.size=7"])
        #expect(try entries("pipeline: { workers: 2, batch.size: 7 }\n") == ["1:pipeline.workers=2", "1:pipeline.batch.size=7"])
    }

    @Test func scalarsOfEveryStyleReachTheTableAsText() throws {
        let yaml = """
            pipeline.id: "quoted"
            path.data: 'single'
            pipeline.workers: 3
            queue.drain: true
            pipeline.batch.delay: >-
              75
            """
        #expect(try entries(yaml) == ["1:pipeline.id=quoted", "2:path.data=single", "3:pipeline.workers=3",
                                      "4:queue.drain=true", "5:pipeline.batch.delay=75"])
    }

    @Test func commentsDocumentMarkerAndEmptyFiles() throws {
        #expect(try entries("") == [])
        #expect(try entries("# nothing here\n\n") == [])
        #expect(try entries("---\n") == [])
        #expect(try entries("---\n# settings\npipeline.workers: 2 # two\n...\n") == ["3:pipeline.workers=2"])
    }

    @Test func anUnknownKeyWithoutAValueIsRefusedByName() {
        let f = failure("pipeline.workers: 1\nfoo:\n")
        #expect(f?.line == 2)
        #expect(f?.message == "unknown setting `foo`")
        let typo = failure("pipeline:\n  workerz: 2\n")
        #expect(typo?.line == 2)
        #expect(typo?.message == "unknown setting `pipeline.workerz`; did you mean `pipeline.workers`?")
    }

    @Test func aKnownKeyWithoutAValueIsRefused() {
        let f = failure("pipeline.workers:\n")
        #expect(f?.line == 1)
        #expect(f?.message == "`pipeline.workers` has no value")
    }

    @Test func duplicateKeysAreRefusedInEveryMixOfSpellings() {
        let cases: [(String, Int)] = [
            ("pipeline.workers: 2\npipeline.workers: 3\n", 2),
            ("pipeline:\n  workers: 2\n  workers: 3\n", 3),
            ("pipeline.workers: 2\npipeline:\n  workers: 3\n", 3),
            ("pipeline:\n  workers: 3\npipeline.workers: 2\n", 3),
            ("pipeline:\n  workers: 3\npipeline:\n  batch.size: 2\n  workers: 4\n", 5),
        ]
        for (yaml, line) in cases {
            let f = failure(yaml)
            #expect(f?.line == line, "\(yaml)")
            #expect(f?.message.hasPrefix("`pipeline.workers` is set twice (first on line ") == true, "\(yaml): \(String(describing: f))")
        }
    }

    @Test func aTabAfterTheColonIsASeparator() throws {
        // YAML allows it (s-separate-in-line is spaces or tabs); libyaml alone would refuse it.
        #expect(try entries("pipeline.workers:\t2\npipeline.id: \t\"a\tb\"\n") == ["1:pipeline.workers=2", "2:pipeline.id=a\tb"])
    }

    @Test func aTabIndentationIsAClearError() {
        let f = failure("pipeline:\n\tworkers: 2\n")
        #expect(f?.line == 2)
        #expect(f?.message.contains("YAML does not allow tabs for indentation, use spaces") == true, "\(String(describing: f))")
    }

    @Test func anchorsAndAliasesWork() throws {
        #expect(try entries("pipeline.workers: &n 2\nqueue.checkpoint.acks: *n\n")
                == ["1:pipeline.workers=2", "2:queue.checkpoint.acks=2"])
        // An `&anchor` is YAML, not part of the value.
        #expect(try entries("pipeline.id: &x main\n") == ["1:pipeline.id=main"])
    }

    @Test func aBillionLaughsFailsFastWithAClearError() {
        var yaml = "a0: &a0 {x: lol, y: lol, z: lol, w: lol, v: lol, u: lol, t: lol, s: lol, r: lol, q: lol}\n"
        for k in 1...9 {
            let refs = (0..<10).map { "k\($0): *a\(k - 1)" }.joined(separator: ", ")
            yaml += "a\(k): &a\(k) {\(refs)}\n"
        }
        let start = ContinuousClock.now
        let f = failure(yaml)
        #expect(ContinuousClock.now - start < .seconds(1))
        #expect(f?.message.contains("expands to more than 10000 YAML nodes") == true, "\(String(describing: f))")
        // The same bomb as nested lists.
        var lists = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for k in 1...9 { lists += "a\(k): &a\(k) [" + Array(repeating: "*a\(k - 1)", count: 10).joined(separator: ", ") + "]\n" }
        let t = ContinuousClock.now
        #expect(failure(lists) != nil)
        #expect(ContinuousClock.now - t < .seconds(1))
    }

    /// Yams builds its tree recursively: deep nesting is refused before it, never a crash.
    @Test func deepNestingIsRefusedWithItsLine() {
        let start = ContinuousClock.now
        let flow = failure("pipeline.workers: 1\na: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n")
        #expect(flow?.line == 2)
        #expect(flow?.message == "nesting deeper than 200 levels")
        let compact = failure("a:\n" + String(repeating: "- ", count: 100_000) + "x\n")
        #expect(compact?.line == 2 && compact?.message == "nesting deeper than 200 levels")
        var block = ""
        for k in 0..<1_000 { block += String(repeating: " ", count: k) + "k\(k):\n" }
        #expect(failure(block)?.message == "nesting deeper than 200 levels")
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test func listsAndBrokenYAMLGiveTheirLine() {
        #expect(failure("pipeline.workers: [1, 2]\n")?.message == "`pipeline.workers` takes one value, not a list")
        let broken = failure("pipeline.workers: 2\npipeline.id: \"open\n")
        #expect(broken?.line == 3 || broken?.line == 2, "\(String(describing: broken))")
        #expect(broken?.message.hasPrefix("not valid YAML: ") == true)
        #expect(failure("- a\n- b\n")?.message == "expected `key: value` lines, found a list")
    }
}
