import Testing

@testable import SluiceCore

/// The PCRE2 wrapper: named groups, match limits, byte-wise matching, and the JIT workaround.
@Suite struct RegexTests {
    func match(_ r: Regex, _ bytes: [UInt8]) -> Regex.MatchResult {
        bytes.withUnsafeBufferPointer { r.match($0) }
    }

    @Test func negatedShorthandsMatchNonASCIICharacters() throws {
        // PCRE2 10.42's JIT misses these for bare \S, \W, \D; the wrapper rewrites them.
        for (pattern, text) in [(#"^x\S+y$"#, "xéy"), (#"^x\W+y$"#, "x中y"), (#"^x\D+y$"#, "xéy"), (#"^\S\S?$"#, "é")] {
            #expect(try Regex(pattern).matches(text), "\(pattern) on \(text)")
        }
        #expect(Regex.wrapNegatedShorthands(#"a\S[\S\d]\\S\Q\S\E[]\S]"#) == #"a[\S][\S\d]\\S\Q\S\E[]\S]"#)
        #expect(Regex.wrapNegatedShorthands(#"[[:alpha:]\W]\W"#) == #"[[:alpha:]\W][\W]"#)
        #expect(try !Regex(#"^\w+$"#).matches("é"))  // \w stays ASCII
    }

    @Test func groupNumbersByName() throws {
        let r = try Regex(#"(?<first>a)(b)(?<third>c)"#)
        #expect(r.groupNumbers == ["first": 1, "third": 3])
        #expect(try Regex("abc").groupNumbers.isEmpty)
    }

    @Test func matchLimitsStopRunawayPatterns() throws {
        let r = try Regex("^(a+)+$")
        r.setLimits(RegexMatchLimits(.init(matchLimit: 100_000, depthLimit: 100_000)))
        #expect(match(r, Array((String(repeating: "a", count: 40) + "b").utf8)) == .limitExceeded)
        #expect(match(r, Array("aaaa".utf8)) == .matched)
        #expect(match(r, Array("b".utf8)) == .noMatch)
    }

    @Test func invalidUTF8NeverMatchesButBytesModeSeesEachByte() throws {
        let bad: [UInt8] = [0x61, 0xFF, 0x62]
        #expect(match(try Regex("^a.b$"), bad) == .noMatch)
        let bytes = try Regex("^a.b$", options: .bytes)
        #expect(match(bytes, bad) == .matched)
        #expect(bytes.range(ofGroup: 0) == 0..<3)
    }

    @Test func replaceAllStepsOverWholeCharactersOnEmptyMatches() throws {
        #expect(try Regex("x*").replaceAll(in: "éa", with: "-") == "-é-a-")
    }
}
