import SluiceCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

@testable import GrokPlugins

/// Inputs that must never crash or stall a worker: runaway patterns, bytes that are not
/// UTF-8, very long lines.
@Suite("grok robustness")
struct GrokRobustnessTests {
    @Test func catastrophicPatternIsCutShortByTheMatchLimit() throws {
        let filter = try GrokSettings.filter(["match": ["message": "(a+)+$"], "timeout_millis": 50])
        let line = String(repeating: "a", count: 64) + "b"
        // CPU time of this thread: what the match costs, whatever else the machine runs.
        func cpuSeconds() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }
        let start = cpuSeconds()
        for _ in 0..<3 {
            let e = GrokSettings.run(filter, line)
            #expect(e.tags == ["_groktimeout"])
        }
        // Unbounded, `(a+)+$` on 64 a's would take longer than the universe has existed.
        #expect(cpuSeconds() - start < 2, "three runaway matches took \(cpuSeconds() - start) s of CPU")
        // The same filter instance goes on matching normal input.
        #expect(GrokSettings.run(filter, "aaaa")[field: "tags"] == nil)
    }

    @Test func timeoutMillisMapsToMatchLimits() {
        #expect(GrokTimeout.limits(timeoutMillis: 100).matchLimit == 25_000_000)
        #expect(GrokTimeout.limits(timeoutMillis: 30000).matchLimit == UInt32.max)
        #expect(GrokTimeout.limits(timeoutMillis: 0).matchLimit == UInt32.max)
        #expect(GrokTimeout.limits(timeoutMillis: 0).depthLimit == UInt32.max)
    }

    @Test func invalidUTF8IsMatchedBytewiseAndReplacedSafely() throws {
        let bytes: [UInt8] = Array("user=".utf8) + [0xC3, 0x28, 0xFF] + Array(" id=42 tail".utf8)
        // Raw bytes (what `sluice grok` reads): matched byte by byte.
        let debugger = try GrokDebugger(pattern: #"^user=(?<user>\S+) id=%{INT:id:int} %{GREEDYDATA:rest}$"#,
                                        library: .builtIn(.v8))
        guard case .matched(let fields) = bytes.withUnsafeBufferPointer({ debugger.match($0) }) else {
            Issue.record("no match on invalid UTF-8")
            return
        }
        #expect(fields["user"] == .string("\u{FFFD}(\u{FFFD}"))
        #expect(fields["id"] == 42)
        #expect(fields["rest"] == "tail")
        // In a pipeline the codec already replaced bad bytes; the filter sees valid text.
        let filter = try GrokSettings.filter(["match": ["message": #"^user=(?<user>\S+) id=%{INT:id:int}"#]])
        let e = GrokSettings.run(filter, String(decoding: bytes, as: UTF8.self))
        #expect(e[field: "id"] == 42)
        #expect(e[field: "user"]?.stringValue?.unicodeScalars.contains("\u{FFFD}") == true)
        // A capture that would split a multi-byte character in byte mode still decodes.
        let split = try GrokDebugger(pattern: "^(?<first>.)", library: .builtIn(.v8))
        let odd: [UInt8] = [0xC3, 0xA9, 0xFF]
        if case .matched(let f) = odd.withUnsafeBufferPointer({ split.match($0) }) {
            #expect(f["first"] == .string("\u{FFFD}"))
        } else {
            Issue.record("no match")
        }
    }

    @Test func tenMebibyteLineIsHandled() throws {
        let big = String(repeating: "x", count: 10 << 20)
        let clock = ContinuousClock()
        let start = clock.now
        let filter = try GrokSettings.filter(["match": ["message": "^%{WORD:first} %{GREEDYDATA:rest}$"]])
        let e = GrokSettings.run(filter, "hello " + big)
        #expect(e[field: "first"] == "hello")
        #expect(e[field: "rest"]?.stringValue?.utf8.count == 10 << 20)
        // A realistic pattern on a huge request: it matches, or fails, but never hangs.
        let apache = #"1.2.3.4 - - [24/Feb/2015:23:13:42 +0000] "GET /"# + big + #" HTTP/1.1" 200 5 "-" "ua""#
        let combined = try GrokSettings.filter(["match": ["message": "%{COMBINEDAPACHELOG}"]])
        let c = GrokSettings.run(combined, apache)
        #expect(c[field: "[url][original]"]?.stringValue?.utf8.count == (10 << 20) + 1)
        let quoted = try GrokSettings.filter(["match": ["message": #"^"(?<q>(?:[^"\\]|\\.)*)"$"#]])
        let q = GrokSettings.run(quoted, "\"" + big + "\"")
        #expect(q[field: "q"]?.stringValue?.utf8.count == 10 << 20 || q.hasTag("_groktimeout"))
        let noMatch = GrokSettings.run(combined, big)
        #expect(noMatch.hasTag("_grokparsefailure") || noMatch.hasTag("_groktimeout"))
        #expect(clock.now - start < .seconds(60))
    }
}
