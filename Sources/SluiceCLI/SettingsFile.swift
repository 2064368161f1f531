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

/// `sluice.yml`, as Logstash reads `logstash.yml`: flat dotted keys (`pipeline.workers: 2`)
/// or the same keys nested by indentation. Only the YAML this needs: maps, scalars, comments.
struct SettingsFile {
    let path: String

    static let keys: [String: String] = [
        "pipeline.id": "string", "pipeline.workers": "count", "pipeline.batch.size": "count",
        "pipeline.batch.delay": "milliseconds", "pipeline.ordered": "auto|true|false",
        "pipeline.ecs_compatibility": "disabled|v1|v8",
        "path.data": "string", "log.level": "trace|debug|info|warn|error",
        "config.support_escapes": "true|false",
        "queue.type": "memory|persisted", "path.queue": "string", "queue.page_capacity": "bytes",
        "queue.max_bytes": "bytes", "queue.max_events": "count", "queue.checkpoint.writes": "count",
        "queue.checkpoint.acks": "count", "queue.checkpoint.interval": "milliseconds", "queue.drain": "true|false",
        "dead_letter_queue.enable": "true|false", "path.dead_letter_queue": "string",
        "dead_letter_queue.max_bytes": "bytes", "dead_letter_queue.storage_policy": "drop_newer|drop_older",
        "dead_letter_queue.retain.age": "duration", "dead_letter_queue.flush_interval": "milliseconds",
    ]

    static func level(_ s: String) -> Logger.Level? {
        switch s.lowercased() {
        case "trace": return .trace
        case "debug": return .debug
        case "info": return .info
        case "warn", "warning": return .warning
        case "error": return .error
        case "fatal", "critical": return .critical
        default: return nil
        }
    }

    /// Reads the file into (line, dotted key, value) entries.
    func entries() throws -> [(Int, String, String)] {
        guard let text = readFile(path) else {
            throw SettingsFileError(path: path, line: 0, message: "cannot read the settings file")
        }
        var out: [(Int, String, String)] = []
        var stack: [(indent: Int, key: String)] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#"), !line[..<hash].contains("\"") { line = line[..<hash] }
            let indent = line.prefix { $0 == " " }.count
            let body = line.drop { $0 == " " }.trimmingSuffix()
            if body.isEmpty || body == "---" { continue }
            guard let colon = body.firstIndex(of: ":") else {
                throw SettingsFileError(path: path, line: n + 1, message: "expected `key: value`, found `\(body)`")
            }
            let key = body[..<colon].trimmingSuffix()
            var value = body[body.index(after: colon)...].drop { $0 == " " }.trimmingSuffix()
            if value.count >= 2, let f = value.first, f == "\"" || f == "'", value.last == f {
                value = value.dropFirst().dropLast()
            }
            while let top = stack.last, top.indent >= indent { stack.removeLast() }
            let full = (stack.map(\.key) + [String(key)]).joined(separator: ".")
            if value.isEmpty { stack.append((indent, String(key))) } else { out.append((n + 1, full, String(value))) }
        }
        return out
    }

    func apply(to s: inout PipelineSettings, logLevel: inout Logger.Level) throws {
        for (line, key, value) in try entries() {
            func bad(_ expected: String) -> SettingsFileError {
                SettingsFileError(path: path, line: line, message: "`\(key)` expects \(expected), got `\(value)`")
            }
            switch key {
            case "pipeline.id": s.id = value
            case "pipeline.workers":
                guard let n = Int(value), n > 0 else { throw bad("a positive number") }
                s.workers = n
            case "pipeline.batch.size":
                guard let n = Int(value), n > 0 else { throw bad("a positive number") }
                s.batchSize = n
            case "pipeline.batch.delay":
                guard let n = Int(value), n >= 0 else { throw bad("milliseconds") }
                s.batchDelay = .milliseconds(n)
            case "pipeline.ordered":
                guard ["auto", "true", "false"].contains(value) else { throw bad("auto, true or false") }
                s.ordered = value
            case "pipeline.ecs_compatibility":
                guard ["disabled", "v1", "v8"].contains(value) else { throw bad("disabled, v1 or v8") }
                s.ecsCompatibility = value
            case "path.data": s.pathData = value
            case "log.level":
                guard let l = SettingsFile.level(value) else { throw bad("trace, debug, info, warn or error") }
                logLevel = l
            case "config.support_escapes":
                guard value == "true" || value == "false" else { throw bad("true or false") }
                s.supportEscapes = value == "true"
            case "queue.type":
                guard value == "memory" || value == "persisted" else { throw bad("memory or persisted") }
                s.queue.type = value
            case "path.queue": s.queue.path = value
            case "queue.page_capacity", "queue.max_bytes":
                guard let b = Units.bytes(value), b > 0 else { throw bad("a size like 64mb") }
                if key == "queue.page_capacity" { s.queue.pageCapacity = Int(b) } else { s.queue.maxBytes = Int(b) }
            case "queue.max_events", "queue.checkpoint.writes", "queue.checkpoint.acks", "queue.checkpoint.interval":
                guard let n = Int(value), n >= 0 else { throw bad("a number") }
                switch key {
                case "queue.max_events": s.queue.maxEvents = n
                case "queue.checkpoint.writes": s.queue.checkpointWrites = max(1, n)
                case "queue.checkpoint.acks": s.queue.checkpointAcks = max(1, n)
                default: s.queue.checkpointInterval = max(1, n)
                }
            case "queue.drain":
                guard value == "true" || value == "false" else { throw bad("true or false") }
                s.queue.drain = value == "true"
            case "dead_letter_queue.enable":
                guard value == "true" || value == "false" else { throw bad("true or false") }
                s.deadLetterQueue.enabled = value == "true"
            case "path.dead_letter_queue": s.deadLetterQueue.path = value
            case "dead_letter_queue.max_bytes":
                guard let b = Units.bytes(value), b > 0 else { throw bad("a size like 1024mb") }
                s.deadLetterQueue.maxBytes = Int(b)
            case "dead_letter_queue.storage_policy":
                guard let p = DeadLetterQueueSettings.StoragePolicy(rawValue: value) else {
                    var msg = "drop_newer or drop_older"
                    if let near = Suggest.closest(to: value, in: ["drop_newer", "drop_older"]) { msg += " (did you mean `\(near)`?)" }
                    throw bad(msg)
                }
                s.deadLetterQueue.storagePolicy = p
            case "dead_letter_queue.retain.age":
                // Logstash's time values: a number with a unit (5d, 12h, 30m, 10s, 500ms).
                guard value.contains(where: \.isLetter), let secs = Units.seconds(value), secs > 0, secs.isFinite else {
                    throw bad("an age with a unit like 5d, 12h or 30m")
                }
                s.deadLetterQueue.retainAge = secs
            case "dead_letter_queue.flush_interval":
                guard let n = Int(value), n > 0 else { throw bad("a positive number of milliseconds") }
                s.deadLetterQueue.flushInterval = n
            default:
                var msg = "unknown setting `\(key)`"
                if let near = Suggest.closest(to: key, in: Array(SettingsFile.keys.keys)) { msg += "; did you mean `\(near)`?" }
                throw SettingsFileError(path: path, line: line, message: msg)
            }
        }
    }
}

extension Substring {
    func trimmingSuffix() -> Substring {
        var s = self
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return s
    }
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
