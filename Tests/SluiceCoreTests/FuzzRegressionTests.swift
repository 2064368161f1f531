import Foundation
import Testing
import SluiceCore

/// Replays what the fuzz targets of Fuzz/ found (`make fuzz` stores it under
/// Tests/Fixtures/fuzz/<target>/) through the same entry points, expecting no crash.
/// Each replay here does what the target's `LLVMFuzzerTestOneInput` does.
@Suite("fuzz findings: JSON and field references")
struct FuzzRegressionTests {
    /// Fuzz/JSONFuzz: decode; what decodes must encode to JSON that decodes again.
    @Test func jsonDecoder() throws {
        for (name, bytes) in try FuzzFindings.inputs("JSONFuzz") {
            guard let value = try? JSON.decode(bytes) else { continue }
            let encoded = JSON.encode(value)
            #expect(throws: Never.self, "\(name): re-decoding \(String(decoding: encoded, as: UTF8.self))") {
                _ = try JSON.decode(encoded)
            }
        }
    }

    /// Fuzz/FieldReferenceFuzz: parse a field reference, set it (then it reads back), remove
    /// it; render the same text as a sprintf template.
    @Test func fieldReferencesAndTemplates() throws {
        var base = Event(message: "hello", timestamp: Timestamp(nanoseconds: 1_700_000_000_123_456_789))
        _ = base.set(FieldReference(path: ["a", "b"]), .array([.int(1), .string("x"), .object(FieldMap())]))
        for (name, bytes) in try FuzzFindings.inputs("FieldReferenceFuzz") {
            let text = String(decoding: bytes, as: UTF8.self)
            var event = base
            if let ref = try? FieldReference(parsing: text) {
                if event.set(ref, .string("v")) { #expect(event[ref] == .string("v"), "\(name)") }
                _ = event.remove(ref)
            }
            _ = Template(text).render(event)
        }
    }
}

/// The inputs stored for one fuzz target, by file name.
enum FuzzFindings {
    static func inputs(_ target: String, file: String = #filePath) throws -> [(String, [UInt8])] {
        let root = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("Fixtures/fuzz/\(target)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix(".") }.sorted()
        return try names.map { ($0, Array(try Data(contentsOf: dir.appendingPathComponent($0)))) }
    }
}
