import Foundation
import SluiceCore
import Testing

@testable import GrokPlugins

/// Replays what Fuzz/GrokFuzz and Fuzz/DissectFuzz found (Tests/Fixtures/fuzz/<target>/)
/// through the same entry points, as their `LLVMFuzzerTestOneInput` do, expecting no crash.
@Suite("fuzz findings: grok and dissect patterns")
struct GrokFuzzRegressionTests {
    static let line = "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326"

    /// Expand and compile the pattern, then match it once within the fuzz target's limits.
    @Test func grokPatterns() throws {
        let library = GrokLibrary.builtIn(.disabled)
        let limits = RegexMatchLimits(.init(matchLimit: 1_000_000, depthLimit: 100_000))
        let bytes = Array(Self.line.utf8)
        for (_, input) in try fuzzFindings("GrokFuzz") {
            let pattern = String(decoding: input, as: UTF8.self)
            guard let grok = try? GrokPattern(pattern, library: library, limits: limits) else { continue }
            bytes.withUnsafeBufferPointer { buf in
                if case .matched = grok.match(buf, validUTF8: true) {
                    for capture in grok.captures { _ = grok.value(of: capture, in: buf) }
                }
            }
        }
    }

    /// Parse the mapping, then apply it to a line.
    @Test func dissectMappings() throws {
        let line = "2024-01-02 10:11:12  WARN  [main] key=value rest of the message"
        for (_, input) in try fuzzFindings("DissectFuzz") {
            guard let pattern = try? DissectPattern(String(decoding: input, as: UTF8.self)) else { continue }
            var event = Event(message: line)
            _ = pattern.apply(line, to: &event)
        }
    }

    private func fuzzFindings(_ target: String, file: String = #filePath) throws -> [(String, [UInt8])] {
        let root = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("Fixtures/fuzz/\(target)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix(".") }.sorted()
        return try names.map { ($0, Array(try Data(contentsOf: dir.appendingPathComponent($0)))) }
    }
}
