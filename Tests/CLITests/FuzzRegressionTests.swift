import Foundation
import Testing

/// Replays what Fuzz/ConfigFuzz, ConditionFuzz and SettingsFuzz found (Tests/Fixtures/fuzz/<target>/)
/// through the `sluice` binary, in a subprocess: a crash of the parser (a stack overflow, say)
/// then fails the test instead of killing the test runner. `sluice check` parses, compiles
/// the conditions and validates, exactly as before a run; it must end with 0 or 1, never a signal.
@Suite("fuzz findings: pipeline files, conditions and sluice.yml through the binary", .timeLimit(.minutes(5)))
struct FuzzRegressionTests {
    /// Each input as a pipeline file, with and without `config.support_escapes`.
    @Test func pipelineFiles() throws {
        let dir = try CLI.tempDir()
        try CLI.write("config.support_escapes: true\n", to: dir + "/escapes.yml")
        for (name, input) in try inputs("ConfigFuzz") {
            let path = dir + "/" + name + ".conf"
            try Data(input).write(to: URL(fileURLWithPath: path))
            try expectNoCrash(name, ["check", "-f", path])
            try expectNoCrash(name + " (escapes)", ["check", "-f", path, "--path.settings", dir + "/escapes.yml"])
        }
    }

    /// Each input as the condition of an `if`, wrapped as ConditionFuzz wraps it.
    @Test func conditions() throws {
        let dir = try CLI.tempDir()
        for (name, input) in try inputs("ConditionFuzz") {
            let path = dir + "/" + name + ".conf"
            let text = "filter {\n  if " + String(decoding: input, as: UTF8.self) + " {\n  }\n}\n"
            try CLI.write(text, to: path)
            try expectNoCrash(name, ["check", "-f", path])
        }
    }

    /// Each input as `sluice.yml`.
    @Test func settingsFiles() throws {
        let dir = try CLI.tempDir()
        for (name, input) in try inputs("SettingsFuzz") {
            let path = dir + "/" + name + ".yml"
            try Data(input).write(to: URL(fileURLWithPath: path))
            try expectNoCrash(name, ["check", "--path.settings", path, "-e", "input { generator { count => 1 } } output { null { } }"])
        }
    }

    private func expectNoCrash(_ name: String, _ args: [String]) throws {
        let r = try CLI.run(args + ["--path.data", NSTemporaryDirectory() + "sluice-fuzz-replay"])
        let how = r.reason == .exit ? "exit status \(r.status)" : "signal \(r.status)"
        #expect(r.reason == .exit && (r.status == 0 || r.status == 1),
                "\(name): `sluice \(args.joined(separator: " "))` ended with \(how)\n\(r.stderr.prefix(2000))")
    }

    private func inputs(_ target: String, file: String = #filePath) throws -> [(String, [UInt8])] {
        let root = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("Fixtures/fuzz/\(target)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix(".") }.sorted()
        return try names.map { ($0, Array(try Data(contentsOf: dir.appendingPathComponent($0)))) }
    }
}
