import SluiceCore

/// Which built-in pattern set grok uses: Logstash's legacy field names, or ECS names
/// (`v1` and `v8` share one set, as in Logstash).
public enum GrokECSMode: String, Sendable, CaseIterable {
    case disabled, v1, v8

    /// The folder of `Plugins/Grok/patterns/` holding this mode's pattern files.
    public var patternSet: String { self == .disabled ? "legacy" : "ecs-v1" }
}

/// Named grok patterns (`NAME regex`), from the built-in files, `patterns_dir` files and
/// `pattern_definitions`. Later definitions of a name win, as in Logstash.
public struct GrokLibrary: Sendable {
    public struct Definition: Sendable {
        public var regex: String
        /// Where it was defined (`legacy/httpd:12`, `/etc/patterns/extra:3`, `pattern_definitions`).
        public var origin: String
    }

    public private(set) var definitions: [String: Definition] = [:]

    public init() {}

    /// The patterns that ship with Sluice for `mode` (parsed once per process).
    public static func builtIn(_ mode: GrokECSMode) -> GrokLibrary {
        mode == .disabled ? legacySet : ecsSet
    }

    private static let legacySet = embedded("legacy")
    private static let ecsSet = embedded("ecs-v1")

    private static func embedded(_ set: String) -> GrokLibrary {
        var lib = GrokLibrary()
        for file in EmbeddedGrokPatterns.files where file.set == set {
            lib.addFile(text: file.text, origin: "\(file.set)/\(file.name)")
        }
        return lib
    }

    public var names: [String] { definitions.keys.sorted() }

    public subscript(name: String) -> Definition? { definitions[name] }

    public mutating func define(_ name: String, _ regex: String, origin: String) {
        definitions[name] = Definition(regex: regex, origin: origin)
    }

    /// Adds the patterns of one file in Logstash's format: `NAME<whitespace>regex` per line,
    /// `#` comment lines; lines without whitespace after the name are skipped. The regex is
    /// the rest of the line without its line break (trailing spaces are kept, like Logstash).
    public mutating func addFile(text: String, origin: String) {
        var lineNumber = 0
        // Split bytes, not Characters: "\r\n" is one Character and would hide the break.
        for rawLine in text.utf8.split(separator: 10, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            line = line.drop { Self.isSpace($0) }
            guard let first = line.first, first != UInt8(ascii: "#") else { continue }
            guard let gap = line.firstIndex(where: Self.isSpace) else { continue }
            let name = Substring(line[..<gap])
            let regex = Substring(line[gap...].drop(while: Self.isSpace))
            define(String(name), String(regex), origin: "\(origin):\(lineNumber)")
        }
    }

    /// Adds every file matching `glob` in each directory of `paths` (a path that is a file
    /// is read as is), sorted by name. Returns the files read.
    @discardableResult
    public mutating func addFiles(from paths: [String], glob: String) throws(GrokError) -> [String] {
        var read: [String] = []
        for path in paths {
            let candidates = FileIO.isDirectory(path)
                ? FileGlob.expand(FileGlob.escape(path) + "/" + glob)
                : FileGlob.expand(path)
            if candidates.isEmpty && !FileIO.isDirectory(path) {
                throw GrokError("pattern path `\(path)` does not exist")
            }
            for file in candidates where FileIO.isRegularFile(file) {
                guard let bytes = FileIO.readFile(file) else {
                    throw GrokError("cannot read pattern file `\(file)`")
                }
                addFile(text: String(decoding: bytes, as: UTF8.self), origin: file)
                read.append(file)
            }
        }
        return read
    }

    @inline(__always)
    private static func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0B || b == 0x0C || b == 0x0D
    }
}

/// A problem with a grok pattern: unknown name, cycle, invalid regex, unreadable file.
public struct GrokError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
