import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

struct SettingsFileError: Error, CustomStringConvertible {
    let path: String
    let line: Int
    let message: String
    var description: String { line > 0 ? "\(path):\(line): error: \(message)" : "\(path): error: \(message)" }
}

/// `sluice.yml`, as Logstash reads `logstash.yml`: YAML (parsed by Yams), with flat dotted keys
/// (`pipeline.workers: 2`) or the same keys nested (`pipeline: { workers: 2 }` or by indentation).
/// Each leaf becomes one (line, dotted key, value) entry for the settings table; see `SettingsYAML`.
struct SettingsFile {
    let path: String

    /// `log.level` as swift-log's level (the table already checked the word).
    static func level(_ s: String) -> Logger.Level {
        switch s {
        case "trace": return .trace
        case "debug": return .debug
        case "warn": return .warning
        case "error": return .error
        case "fatal": return .critical
        default: return .info
        }
    }

    /// Reads the file into (line, dotted key, value) entries.
    func entries() throws -> [(Int, String, String)] {
        guard let text = readFile(path) else {
            throw SettingsFileError(path: path, line: 0, message: "cannot read the settings file")
        }
        do {
            return try SettingsYAML.entries(text)
        } catch {
            throw SettingsFileError(path: path, line: error.line, message: error.message)
        }
    }

    /// Applies every entry through the settings table (`PipelineSettingSpecs`).
    func apply(to s: inout PipelineSettings) throws {
        for (line, key, value) in try entries() {
            do {
                try PipelineSettingSpecs.apply(key, value, to: &s)
            } catch {
                throw SettingsFileError(path: path, line: line, message: error.message)
            }
        }
    }
}

/// Pipeline settings from their three sources, later ones winning: the table's defaults,
/// `sluice.yml` (in `--path.settings`), then command-line flags (each checked by the same table).
enum SettingsSources {
    static func load(pathSettings: String?, flags: [(key: String, value: String?)]) throws -> PipelineSettings {
        var s = PipelineSettings()
        if let dir = pathSettings {
            try SettingsFile(path: dir.hasSuffix(".yml") ? dir : dir + "/sluice.yml").apply(to: &s)
        }
        do {
            for case let (key, value?) in flags { try PipelineSettingSpecs.apply(key, value, to: &s) }
            try PipelineSettingSpecs.checkCombination(s)
        } catch {
            throw SettingsFlagError(message: error.message)
        }
        return s
    }
}

/// A bad flag value; the message is the table's, as for the same value in sluice.yml.
struct SettingsFlagError: Error, CustomStringConvertible {
    let message: String
    var description: String { "error: \(message)" }
}

func readFile(_ path: String) -> String? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        bytes.append(contentsOf: buf[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
}
