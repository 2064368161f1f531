import SluiceCore
import Yams

/// The YAML of `sluice.yml`, flattened into the dotted keys of the settings table.
///
/// Yams (libyaml) does the parsing; this walks its node tree with the lines of each key.
/// Nested mappings join their keys with dots, as Logstash reads `logstash.yml`, so
/// `pipeline: { workers: 2 }`, the same in block style and `pipeline.workers: 2` are one
/// setting, and naming it twice in any mix of spellings is an error. Values are scalars of
/// any style; their text goes to the table unchanged, which checks it as it checks a flag.
enum SettingsYAML {
    struct Failure: Error {
        let line: Int
        let message: String
    }

    /// Aliases let a few lines expand to billions of nodes ("billion laughs"). A settings
    /// file has a few dozen; the walk stops far beyond that, before any real cost.
    static let maxNodes = 10_000
    static let maxExpandedBytes = 1 << 20
    /// Yams builds its tree recursively, so deep nesting would overflow the stack; see `checkNesting`.
    static let maxNesting = 200

    static func entries(_ text: String) throws(Failure) -> [(Int, String, String)] {
        try checkNesting(text)
        let root: Node?
        do {
            root = try Yams.compose(yaml: tabsAfterColonsAsSpaces(text))
        } catch {
            throw failure(error, text)
        }
        guard let root else { return [] }  // empty, comments only, or a bare `---`
        guard case .mapping(let top) = root else {
            if case .scalar(let s) = root, isNull(s) { return [] }
            throw Failure(line: line(root), message: "expected `key: value` lines, found \(kind(root))")
        }
        var size = Size()
        try size.count(root)
        var walk = Walk()
        try walk.mapping(top, prefix: "")
        return walk.out
    }

    private struct Walk {
        var out: [(Int, String, String)] = []
        var firstLine: [String: Int] = [:]

        mutating func mapping(_ m: Node.Mapping, prefix: String) throws(Failure) {
            for (k, v) in m {
                guard case .scalar(let keyScalar) = k else {
                    throw Failure(line: line(k), message: "a setting name must be text, found \(kind(k))")
                }
                let key = prefix.isEmpty ? keyScalar.string : prefix + "." + keyScalar.string
                let at = line(k)
                switch v {
                case .mapping(let inner):
                    try mapping(inner, prefix: key)
                case .sequence:
                    throw Failure(line: at, message: "`\(key)` takes one value, not a list")
                case .scalar(let value):
                    do {
                        try PipelineSettingSpecs.checkKnown(key)
                    } catch {
                        throw Failure(line: at, message: error.message)
                    }
                    if let first = firstLine[key] {
                        throw Failure(line: at, message: "`\(key)` is set twice (first on line \(first))")
                    }
                    firstLine[key] = at
                    if isNull(value) { throw Failure(line: at, message: "`\(key)` has no value") }
                    out.append((at, key, value.string))
                }
            }
        }
    }

    /// Counts the tree as aliases expand it, stopping at the caps (before the walk, so a bomb
    /// is reported as one whatever keys it uses).
    private struct Size {
        var nodes = 0
        var bytes = 0

        mutating func count(_ n: Node) throws(Failure) {
            nodes += 1
            switch n {
            case .scalar(let s): bytes += s.string.utf8.count
            case .mapping(let m): for (k, v) in m { try count(k); try count(v) }
            case .sequence(let items): for item in items { try count(item) }
            }
            if nodes > SettingsYAML.maxNodes || bytes > SettingsYAML.maxExpandedBytes {
                throw Failure(line: line(n), message: "the file expands to more than \(SettingsYAML.maxNodes) YAML nodes "
                    + "or \(SettingsYAML.maxExpandedBytes / 1024) KiB through its aliases; a settings file needs far less")
            }
        }
    }

    /// Refuses text that may nest deeper than `maxNesting` before Yams sees it. The estimate
    /// never undercounts: a line's indentation plus its `- `/`? ` indicators plus the open
    /// brackets so far (brackets in strings and comments count too; settings need few).
    static func checkNesting(_ text: String) throws(Failure) {
        var line = 1, brackets = 0, prefix = 0
        var atLineStart = true, indicatorsPossible = true
        var previous: UInt8 = 0x0A
        for c in text.utf8 {
            switch c {
            case 0x0A:
                line += 1; prefix = 0; atLineStart = true; indicatorsPossible = true
            case 0x20, 0x09:
                if atLineStart || (indicatorsPossible && (previous == UInt8(ascii: "-") || previous == UInt8(ascii: "?"))) { prefix += 1 }
            case UInt8(ascii: "-"), UInt8(ascii: "?"):
                atLineStart = false
                if !indicatorsPossible { break }
                prefix += 1
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                atLineStart = false; indicatorsPossible = false; brackets += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                atLineStart = false; indicatorsPossible = false; brackets = max(0, brackets - 1)
            default:
                atLineStart = false; indicatorsPossible = false
            }
            previous = c
            if prefix + brackets > maxNesting {
                throw Failure(line: line, message: "nesting deeper than \(maxNesting) levels")
            }
        }
    }

    /// YAML allows a tab as the space after `key:`, but libyaml refuses it ("found character
    /// that cannot start any token"). Such a tab becomes a space, which keeps every column;
    /// a line is left alone from its first quote or `#` on, so no quoted value changes.
    static func tabsAfterColonsAsSpaces(_ text: String) -> String {
        guard text.utf8.contains(0x09) else { return text }
        var bytes = Array(text.utf8)
        var k = 0
        var lineDone = false
        while k < bytes.count {
            let c = bytes[k]
            if c == 0x0A { lineDone = false; k += 1; continue }
            if lineDone { k += 1; continue }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") || c == UInt8(ascii: "#") { lineDone = true; k += 1; continue }
            k += 1
            guard c == UInt8(ascii: ":") else { continue }
            while k < bytes.count, bytes[k] == 0x09 || bytes[k] == 0x20 {
                bytes[k] = 0x20
                k += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isNull(_ s: Node.Scalar) -> Bool {
        s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string)
    }

    private static func line(_ n: Node) -> Int { n.mark?.line ?? 0 }

    private static func kind(_ n: Node) -> String {
        switch n {
        case .scalar(let s): return "`\(s.string)`"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    /// libyaml's errors with their line; the problem text is libyaml's own.
    private static func failure(_ error: any Error, _ text: String) -> Failure {
        guard let e = error as? YamlError else { return Failure(line: 0, message: "not YAML: \(error)") }
        switch e {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var msg = "not valid YAML: " + (context.map { "\($0.text) " } ?? "") + problem + " (column \(mark.column))"
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if mark.line >= 1 && mark.line <= lines.count && lines[mark.line - 1].first == "\t" {
                msg += "; YAML does not allow tabs for indentation, use spaces"
            }
            return Failure(line: mark.line, message: msg)
        case .reader(let problem, _, _, _):
            return Failure(line: 0, message: "not valid YAML: \(problem)")
        default:
            return Failure(line: 0, message: "not valid YAML: \(e)")
        }
    }
}
