import Foundation
import Testing

@testable import GrokPlugins

/// The binary carries the pattern files as Swift literals (Plugins/Grok/EmbeddedPatterns*.swift,
/// written by scripts/gen-grok-patterns.py); the text files under Plugins/Grok/patterns/ stay
/// the source of truth. This fails on any difference: a set, a file or a byte. It runs in
/// `make test` (`swift test` runs swift-testing suites too), from the checkout it was built in.
@Suite struct GrokEmbeddedPatternsTests {
    /// Plugins/Grok/patterns, found from this file's own path (Tests/GrokTests/<this file>).
    static let patternsRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Plugins/Grok/patterns").path
    }()

    /// `set/file` -> text of every pattern file on disk, in every set directory.
    static func onDisk() throws -> [String: String] {
        let fm = FileManager.default
        var files: [String: String] = [:]
        for set in try fm.contentsOfDirectory(atPath: patternsRoot) {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: patternsRoot + "/" + set, isDirectory: &isDir), isDir.boolValue else { continue }
            for name in try fm.contentsOfDirectory(atPath: patternsRoot + "/" + set) {
                let data = try Data(contentsOf: URL(fileURLWithPath: "\(patternsRoot)/\(set)/\(name)"))
                files["\(set)/\(name)"] = String(decoding: data, as: UTF8.self)
            }
        }
        return files
    }

    @Test func embeddedCopyMatchesThePatternFiles() throws {
        let disk = try Self.onDisk()
        #expect(disk.count > 40, "expected the pattern files under \(Self.patternsRoot)")
        var embedded: [String: String] = [:]
        for f in EmbeddedGrokPatterns.files { embedded["\(f.set)/\(f.name)"] = f.text }
        let fix = "run scripts/gen-grok-patterns.py"
        for key in Set(disk.keys).subtracting(embedded.keys).sorted() { Issue.record("\(key) is not embedded: \(fix)") }
        for key in Set(embedded.keys).subtracting(disk.keys).sorted() { Issue.record("\(key) is embedded but not on disk: \(fix)") }
        for (key, text) in disk.sorted(by: { $0.key < $1.key }) {
            guard let copy = embedded[key], copy != text else { continue }
            let a = text.split(separator: "\n", omittingEmptySubsequences: false)
            let b = copy.split(separator: "\n", omittingEmptySubsequences: false)
            let line = (zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)) + 1
            Issue.record("\(key) differs from its embedded copy at line \(line): \(fix)")
        }
    }
}
