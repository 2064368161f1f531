import SluiceCore

/// Logstash's `grok` filter: named regex patterns (`%{SYNTAX:SEMANTIC}`) on PCRE2 with JIT.
///
/// Patterns compile once per worker instance; every capture is mapped to its group number
/// and destination field at that point, so an event costs one match per pattern tried plus
/// the captured strings. Runaway patterns are bounded by PCRE2 match limits derived from
/// `timeout_millis` (see `GrokTimeout`) instead of a timer.
public final class GrokFilter: FilterPlugin {
    public static let pluginName = "grok"
    public static let summary = "Parses text into fields with named regular-expression patterns."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("match", .hash, default: .object(FieldMap()),
                    doc: "Field => pattern (or array of patterns) to match, e.g. `{ \"message\" => \"%{COMBINEDAPACHELOG}\" }`."),
        SettingSpec("pattern_definitions", .hash, default: .object(FieldMap()),
                    doc: "Extra patterns for this filter only: `{ \"NAME\" => \"regex\" }`; they win over files."),
        SettingSpec("patterns_dir", .array, default: .array([]),
                    doc: "Directories (or files) of pattern files in Logstash's `NAME regex` format."),
        SettingSpec("patterns_files_glob", .string, default: "*",
                    doc: "Which files of each `patterns_dir` directory to read."),
        SettingSpec("break_on_match", .boolean, default: true,
                    doc: "Stop at the first pattern that matches; `false` tries every pattern."),
        SettingSpec("named_captures_only", .boolean, default: true,
                    doc: "Keep only named captures; `false` also stores `%{NAME}` under the field `NAME`."),
        SettingSpec("keep_empty_captures", .boolean, default: false,
                    doc: "Keep captures that matched the empty string (and unset ones, as null)."),
        SettingSpec("overwrite", .array, default: .array([]),
                    doc: "Fields a capture replaces; other existing fields get the capture appended (as an array)."),
        SettingSpec("tag_on_failure", .array, default: .array(["_grokparsefailure"]),
                    doc: "Tags added when no pattern matched."),
        SettingSpec("tag_on_timeout", .string, default: "_groktimeout",
                    doc: "Tag added when a pattern exceeded its time budget (the event is not tagged as failed)."),
        SettingSpec("timeout_millis", .number, default: 30000,
                    doc: "Time budget per pattern, enforced as a PCRE2 backtracking limit (~250k steps per ms); 0 disables."),
        SettingSpec("timeout_scope", .oneOf(["pattern", "event"]), default: "pattern",
                    doc: "Accepted for Logstash compatibility; the budget always applies per pattern."),
        SettingSpec("target", .fieldReference,
                    doc: "Put the captures under this field instead of the top level."),
        SettingSpec("ecs_compatibility", .oneOf(GrokECSMode.allCases.map(\.rawValue)), default: "v8",
                    doc: "Built-in pattern set: `disabled` (legacy field names) or `v1`/`v8` (ECS field names)."),
    ]

    /// The patterns for one source field, in the order given.
    private struct FieldPatterns {
        let source: FieldReference
        let patterns: [GrokCompiledPattern]
    }

    private enum Outcome { case matched, unmatched, timedOut }

    private let id: String
    private let logger: Logger
    private let fields: [FieldPatterns]
    private let breakOnMatch: Bool
    private let tagOnFailure: [String]
    private let tagOnTimeout: String
    private let captures: GrokCaptureStore

    public init(settings: PluginSettings, context: PluginContext) throws {
        id = settings.id
        logger = context.logger
        breakOnMatch = try settings.declaredBool("break_on_match")
        captures = GrokCaptureStore(keepEmpty: try settings.declaredBool("keep_empty_captures"))
        tagOnFailure = settings.strings("tag_on_failure")
        tagOnTimeout = try settings.declaredString("tag_on_timeout")
        let mode = GrokECSMode(rawValue: try settings.declaredString("ecs_compatibility")) ?? .v8
        let library = try Self.library(settings, mode: mode)

        let target = settings.fieldReference("target")
        var overwrite: Set<FieldReference> = []
        for name in settings.strings("overwrite") {
            do { overwrite.insert(try FieldReference(parsing: name)) } catch {
                throw settings.error("overwrite", error.description)
            }
        }
        let limits = RegexMatchLimits(GrokTimeout.limits(timeoutMillis: try settings.declaredInt("timeout_millis")))
        let namedOnly = try settings.declaredBool("named_captures_only")

        var fields: [FieldPatterns] = []
        for entry in settings.hash("match") {
            let source: FieldReference
            do { source = try FieldReference(parsing: entry.key) } catch {
                throw settings.error("match", error.description)
            }
            let texts: [Value] = entry.value.arrayValue ?? [entry.value]
            var compiled: [GrokCompiledPattern] = []
            for text in texts {
                let pattern: String
                switch text {
                case .string(let s): pattern = s
                case .int, .double, .bool: pattern = text.renderedString
                default: throw settings.error("match", "the patterns for `\(entry.key)` must be strings, got \(text.typeName)")
                }
                let grok: GrokPattern
                do {
                    grok = try GrokPattern(pattern, library: library, namedCapturesOnly: namedOnly, limits: limits)
                } catch {
                    throw settings.error("match", "`\(entry.key)`: \(error.message)")
                }
                compiled.append(GrokCompiledPattern(grok, target: target, overwrite: overwrite))
            }
            fields.append(FieldPatterns(source: source, patterns: compiled))
        }
        self.fields = fields
    }

    /// Built-in patterns for `mode`, then `patterns_dir` files, then `pattern_definitions`.
    private static func library(_ settings: PluginSettings, mode: GrokECSMode) throws(ConfigError) -> GrokLibrary {
        var library = GrokLibrary.builtIn(mode)
        let dirs = settings.strings("patterns_dir")
        if !dirs.isEmpty {
            let glob = try settings.declaredString("patterns_files_glob")
            do {
                try library.addFiles(from: dirs, glob: glob)
            } catch {
                throw settings.error("patterns_dir", error.message)
            }
        }
        for def in settings.hash("pattern_definitions") {
            guard case .string(let regex) = def.value else {
                throw settings.error("pattern_definitions", "the pattern `\(def.key)` must be a string, got \(def.value.typeName)")
            }
            library.define(def.key, regex, origin: "pattern_definitions")
        }
        return library
    }

    // The per-event methods read the patterns through `fields[i]` and
    // `fields[i].patterns[j]` rather than loop variables: a local copy of either would
    // retain and release its arrays and objects for every event.

    public func filter(_ event: inout Event, _ context: inout FilterContext) -> FilterResult {
        var matched = false
        for i in fields.indices {
            switch match(field: i, &event) {
            case .matched:
                matched = true
            case .unmatched:
                continue
            case .timedOut:
                // As in Logstash: the timeout tag only, no failure tag, no add_field/add_tag.
                event.addTag(tagOnTimeout)
                return .unmatched
            }
            if breakOnMatch { break }
        }
        if matched { return .matched }
        for tag in tagOnFailure { event.addTag(tag) }
        return .unmatched
    }

    /// Matches every value of the source field (each element of an array); a missing field
    /// is matched as the empty string, as Logstash does (`nil.to_s`).
    private func match(field i: Int, _ event: inout Event) -> Outcome {
        let value = event[fields[i].source]  // one lookup, one reference held while captures are stored
        guard case .array(let items)? = value else {
            return match(field: i, Self.text(value), &event)
        }
        var result = Outcome.unmatched
        for item in items {
            switch match(field: i, Self.text(item), &event) {
            case .matched: result = .matched
            case .unmatched: break
            case .timedOut: return .timedOut
            }
        }
        return result
    }

    private func match(field i: Int, _ text: String, _ event: inout Event) -> Outcome {
        var text = text
        return text.withUTF8 { buf -> Outcome in
            var result = Outcome.unmatched
            for j in fields[i].patterns.indices {
                switch fields[i].patterns[j].unretainedGrok._withUnsafeGuaranteedRef({ $0.match(buf, validUTF8: true) }) {
                case .matched:
                    captures.store(fields[i].patterns[j], buf, into: &event)
                    result = .matched
                    if breakOnMatch { return .matched }
                case .noMatch:
                    continue
                case .limitExceeded:
                    logger.warning("grok \(id): pattern `\(fields[i].patterns[j].grok.source)` exceeded its time budget on a \(buf.count)-byte value")
                    return .timedOut
                case .failed(let code):
                    logger.warning("grok \(id): PCRE2 error \(code) matching `\(fields[i].patterns[j].grok.source)`")
                }
            }
            return result
        }
    }

    /// The text grok sees for a value: strings as they are, other scalars as Logstash
    /// prints them, null or missing as the empty string.
    static func text(_ value: Value?) -> String {
        switch value {
        case .string(let s)?: return s
        case nil, .null?: return ""
        case let v?: return v.renderedString
        }
    }
}
