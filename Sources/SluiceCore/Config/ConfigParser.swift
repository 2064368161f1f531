/// How a configuration source is read.
public struct ParseOptions: Sendable {
    /// `config.support_escapes`: process `\n`, `\"`, ... in quoted strings.
    public var supportEscapes: Bool
    /// Variables for `${VAR}`; nil means the process environment.
    public var environment: [String: String]?
    /// Whether `${VAR}` placeholders are replaced at all.
    public var substituteVariables: Bool

    public init(supportEscapes: Bool = false, environment: [String: String]? = nil,
                substituteVariables: Bool = true) {
        self.supportEscapes = supportEscapes
        self.environment = environment
        self.substituteVariables = substituteVariables
    }
}

/// Parses Logstash's pipeline language (lscl) into `PipelineConfig`.
public enum ConfigParser {
    /// Parses one source. Syntax errors stop at the first one; problems that leave the
    /// syntax intact (undefined variables, duplicate keys, bad regexes) are all collected.
    public static func parse(_ source: SourceFile, options: ParseOptions = ParseOptions()) throws(ConfigErrors) -> PipelineConfig {
        // Recursive descent, bounded by `ConfigLimits.maxNesting`: run it where that bound fits.
        let outcome = LargeStack.run { parseHere(source, options: options) }
        return try outcome.get()
    }

    private static func parseHere(_ source: SourceFile, options: ParseOptions) -> Result<PipelineConfig, ConfigErrors> {
        var parser = Parser(source: source, options: options)
        let config: PipelineConfig
        do {
            config = try parser.parseFile()
        } catch {
            return .failure(ConfigErrors(parser.errors + [error]))
        }
        return parser.errors.isEmpty ? .success(config) : .failure(ConfigErrors(parser.errors))
    }

    /// Parses `text` as a source named `name`.
    public static func parse(_ text: String, name: String = "config string",
                             options: ParseOptions = ParseOptions()) throws(ConfigErrors) -> PipelineConfig {
        try parse(SourceFile(name: name, text: text), options: options)
    }
}

extension Parser {
    /// Counts one more level of nesting opened at `offset`; the caller decrements `depth`
    /// when it leaves. Throws past `ConfigLimits.maxNesting`, before the stack can run out.
    mutating func enterNesting(at offset: Int) throws(ConfigError) {
        depth += 1
        if depth > ConfigLimits.maxNesting {
            throw ConfigError(location: location(offset), message: ConfigLimits.nestingMessage)
        }
    }
}

/// A hand-written recursive-descent parser over the UTF-8 bytes of one source, following
/// the rules of Logstash's `lscl_grammar.treetop`.
struct Parser {
    let source: SourceFile
    let b: [UInt8]
    let options: ParseOptions
    var pos = 0
    /// Problems that do not stop parsing.
    var errors: [ConfigError] = []
    /// How many blocks, values and condition levels enclose `pos` (bounded by `ConfigLimits`).
    var depth = 0

    init(source: SourceFile, options: ParseOptions) {
        self.source = source
        self.b = source.bytes
        self.options = options
    }

    mutating func parseFile() throws(ConfigError) -> PipelineConfig {
        var config = PipelineConfig(sources: [source], hasInputs: false, hasOutputs: false)
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { pos = 3 }  // UTF-8 byte order mark
        skipSpace()
        while pos < b.count {
            let start = pos
            guard let word = scanName() else {
                throw expected("a section (`input`, `filter` or `output`)")
            }
            guard let kind = SectionKind(rawValue: word) else {
                var msg = "unknown section `\(word)`; expected `input`, `filter` or `output`"
                if let near = Suggest.closest(to: word, in: SectionKind.allCases.map(\.rawValue)) {
                    msg += "; did you mean `\(near)`?"
                }
                throw ConfigError(location: location(start), message: msg)
            }
            skipSpace()
            guard peek == UInt8(ascii: "{") else { throw expected("`{` after section name `\(word)`") }
            pos += 1
            let body = try parseStatements(section: kind, openedAt: start, what: "section `\(word)`")
            switch kind {
            case .input: config.inputs += body; config.hasInputs = true
            case .filter: config.filters += body
            case .output: config.outputs += body; config.hasOutputs = true
            }
            skipSpace()
        }
        return config
    }

    /// Plugins and conditionals up to and including the closing `}`.
    mutating func parseStatements(section: SectionKind, openedAt: Int, what: String) throws(ConfigError) -> [Statement] {
        try enterNesting(at: openedAt)
        defer { depth -= 1 }
        var out: [Statement] = []
        while true {
            skipSpace()
            guard let c = peek else { throw unclosed(what, openedAt: openedAt) }
            if c == UInt8(ascii: "}") { pos += 1; return out }
            if atKeyword("if") {
                out.append(.conditional(try parseConditional(section: section)))
            } else if atKeyword("else") {
                throw ConfigError(location: location(pos), message: "`else` without a preceding `if` block")
            } else {
                out.append(.plugin(try parsePlugin(section: section, in: what)))
            }
        }
    }

    /// `name { settings }`; `section` is nil for a plugin-valued setting (codec).
    mutating func parsePlugin(section: SectionKind?, in container: String) throws(ConfigError) -> PluginNode {
        let start = pos
        let name: String
        if isQuote(peek) {
            name = try scanString()
        } else if let n = scanName() {
            name = n
        } else {
            throw expected(section == nil ? "a plugin name" : "a plugin name, `if` or `}` in \(container)")
        }
        if section != nil, SectionKind(rawValue: name) != nil {
            throw ConfigError(location: location(start),
                              message: "section `\(name)` cannot appear inside \(container)",
                              note: "is a closing `}` missing above?")
        }
        skipSpace()
        guard peek == UInt8(ascii: "{") else { throw expected("`{` after plugin name `\(name)`") }
        pos += 1
        let settings = try parseSettings(plugin: name, openedAt: start)
        return PluginNode(name: name, settings: SettingMerge.merge(settings), location: location(start), section: section)
    }

    /// `name => value` pairs up to and including the plugin's closing `}`.
    private mutating func parseSettings(plugin: String, openedAt: Int) throws(ConfigError) -> [Setting] {
        var settings: [Setting] = []
        while true {
            skipSpace()
            guard let c = peek else { throw unclosed("plugin `\(plugin)`", openedAt: openedAt) }
            if c == UInt8(ascii: "}") { pos += 1; return settings }
            let nameStart = pos
            let name: String
            if isQuote(c) {
                name = try scanString()
            } else if let n = scanName() {
                name = n
            } else {
                let note = c == UInt8(ascii: ",") ? "settings are separated by blanks, not commas" : nil
                throw expected("a setting name or `}` in plugin `\(plugin)`", note: note)
            }
            skipSpace()
            guard consume("=>") else {
                throw expected("`=>` after setting name `\(name)`")
            }
            skipSpace()
            let valueStart = pos
            let value = try parseValue(after: "`\(name) =>`")
            if Secrets.looksSecret(name) { source.maskSecretValue(at: valueStart) }
            settings.append(Setting(name: name, value: value, location: location(nameStart),
                                    valueLocation: location(valueStart)))
        }
    }
}
