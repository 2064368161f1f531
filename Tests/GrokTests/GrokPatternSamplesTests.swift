import SluiceCore
import Testing

@testable import GrokPlugins

/// One line a pattern must match and one it must not, for every shipped pattern name.
/// `probe` is the grok pattern tried, with `@` standing for `%{NAME}`: by default the
/// whole line must match (`^@$`); patterns made to match a line's beginning use `^@`, and
/// patterns that accept any text are wrapped (`^<@>$`) so that a negative line exists.
struct GrokSample: Sendable {
    let name: String
    let match: String
    let noMatch: String
    let probe: String

    init(_ name: String, _ match: String, _ noMatch: String, probe: String = "^@$") {
        self.name = name
        self.match = match
        self.noMatch = noMatch
        self.probe = probe
    }
}

@Suite("grok pattern samples")
struct GrokPatternSamplesTests {
    static let all: [GrokSample] = GrokSamples.core + GrokSamples.applications + GrokSamples.network

    @Test(arguments: [GrokECSMode.disabled, .v1])
    func everyShippedPatternMatchesItsSampleAndRejectsItsCounterexample(_ mode: GrokECSMode) throws {
        let library = GrokLibrary.builtIn(mode)
        let byName = Dictionary(Self.all.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for name in library.names {
            guard let sample = byName[name] else {
                Issue.record("\(mode): no sample for \(name)")
                continue
            }
            let pattern = sample.probe.split(separator: "@", omittingEmptySubsequences: false).joined(separator: "%{\(name)}")
            let grok: GrokPattern
            do { grok = try GrokPattern(pattern, library: library) } catch {
                Issue.record("\(mode) \(name): \(error)")
                continue
            }
            func matches(_ line: String) -> Bool {
                var line = line
                return line.withUTF8 { grok.match($0, validUTF8: true) == .matched }
            }
            #expect(matches(sample.match), "\(mode) \(name) should match: \(sample.match)")
            #expect(!matches(sample.noMatch), "\(mode) \(name) should not match: \(sample.noMatch)")
        }
    }

    @Test func samplesNameShippedPatternsOnly() {
        let known = Set(GrokLibrary.builtIn(.disabled).names).union(GrokLibrary.builtIn(.v1).names)
        for s in Self.all where !known.contains(s.name) { Issue.record("sample for unknown pattern \(s.name)") }
        let names = Self.all.map(\.name)
        #expect(names.count == Set(names).count, "a pattern has two samples")
    }
}
