import SluiceCore

/// Logstash's `kv` filter: parses `key=value` pairs (postfix, iptables, query strings).
///
/// Pairs are found with the regular expression Logstash builds (`KVScanner`); keys and values
/// are then trimmed, cleaned and transformed, keys filtered by `include_keys`/`exclude_keys`
/// (sprintf) and prefixed, repeated keys collected into arrays, and with `recursive` values
/// parsed again into objects. `default_keys` fill in keys the text lacks.
///
/// Failures as in Logstash: a parse that runs past `timeout_millis` stores nothing and tags
/// `tag_on_timeout`; a key that cannot be stored (not a field reference, or under a field that
/// is not a hash) tags `tag_on_failure`. A source that is not text (nor an array of texts) is
/// only logged, as Logstash does.
///
/// Deviation: the timeout is checked between matches; a single pathological match is bounded
/// by PCRE2's match limit instead (it then counts as no match). Keys that become empty after
/// trimming are skipped.
public final class KVFilter: FilterPlugin {
    public static let pluginName = "kv"
    public static let summary = "Parses key=value pairs into fields."
    static let transforms = ["lowercase", "uppercase", "capitalize"]
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("source", .fieldReference, default: "message", doc: "Field holding the text (or array of texts) to parse."),
        SettingSpec("target", .fieldReference, doc: "Field that receives the pairs as an object (overwritten); the event root by default."),
        SettingSpec("field_split", .string, default: " ",
                    doc: "Characters that separate pairs, as a regex character class (`&?` for query strings)."),
        SettingSpec("value_split", .string, default: "=",
                    doc: "Characters that separate a key from its value, as a regex character class."),
        SettingSpec("field_split_pattern", .string, doc: "Regex separating pairs; takes precedence over `field_split`."),
        SettingSpec("value_split_pattern", .string, doc: "Regex separating keys from values; takes precedence over `value_split`."),
        SettingSpec("trim_key", .string, doc: "Characters (a regex class) trimmed from both ends of keys."),
        SettingSpec("trim_value", .string, doc: "Characters (a regex class) trimmed from both ends of values."),
        SettingSpec("remove_char_key", .string, doc: "Characters (a regex class) removed anywhere in keys."),
        SettingSpec("remove_char_value", .string, doc: "Characters (a regex class) removed anywhere in values."),
        SettingSpec("include_keys", .array, default: .array([]), doc: "Only these keys are kept (sprintf); all when empty."),
        SettingSpec("exclude_keys", .array, default: .array([]), doc: "These keys are dropped (sprintf)."),
        SettingSpec("prefix", .template, default: "", doc: "Prepended to every key (sprintf)."),
        SettingSpec("default_keys", .hash, default: .object(FieldMap()), doc: "Keys and values added when the text lacks them."),
        SettingSpec("include_brackets", .boolean, default: true,
                    doc: "Treat `(...)`, `[...]` and `<...>` as value wrappers, like quotes."),
        SettingSpec("recursive", .boolean, default: false, doc: "Parse values again; pairs found become an object."),
        SettingSpec("allow_duplicate_values", .boolean, default: true,
                    doc: "Keep repeated key/value pairs; when false a value already stored under its key is skipped."),
        SettingSpec("transform_key", .oneOf(transforms), doc: "Change the case of keys."),
        SettingSpec("transform_value", .oneOf(transforms), doc: "Change the case of values."),
        SettingSpec("whitespace", .oneOf(["lenient", "strict"]), default: "lenient",
                    doc: "`lenient` allows spaces around the value splitter; `strict` reads a splitter followed by a field splitter as an empty value."),
        SettingSpec("timeout_millis", .number, default: 30_000, doc: "Abort parsing after this many milliseconds; 0 disables."),
        SettingSpec("tag_on_timeout", .string, default: "_kv_filter_timeout", doc: "Tag added when parsing times out."),
        SettingSpec("tag_on_failure", .array, default: ["_kv_filter_error"], doc: "Tags added when the pairs cannot be stored."),
        SettingSpec("ecs_compatibility", .oneOf(["disabled", "v1", "v8"]), default: "disabled",
                    doc: "With ECS (`v1`/`v8`), a missing `target` is reported at start-up."),
    ]

    private enum Transform: String {
        case lowercase, uppercase, capitalize

        func apply(_ s: String) -> String {
            switch self {
            case .lowercase: return s.lowercased()
            case .uppercase: return s.uppercased()
            case .capitalize:
                guard let first = s.first else { return s }
                return String(first).uppercased() + s.dropFirst().lowercased()
            }
        }
    }

    /// Keys to keep or drop and the prefix, rendered once per event.
    private struct KeyRules {
        let include: Set<String>
        let exclude: Set<String>
        let prefix: String
    }

    private struct Timeout: Error {}

    private let id: String
    private let logger: Logger
    private let source: FieldReference
    private let target: FieldReference?
    private let scanner: KVScanner
    private let trimKey, trimValue, removeKey, removeValue: Regex?
    private let include, exclude: [Template]
    private let prefix: Template
    /// The rules when no key setting holds `%{...}`, built once.
    private let constantRules: KeyRules?
    private let defaults: FieldMap
    private let recursive: Bool
    private let allowDuplicates: Bool
    private let transformKey, transformValue: Transform?
    private let timeout: Duration?
    private let tagOnTimeout: String
    private let tagOnFailure: [String]

    public init(settings: PluginSettings, context: PluginContext) throws {
        id = settings.id
        logger = context.logger
        source = try ExtractSettings.field(try settings.declaredString("source"), setting: "source", in: settings)
        target = try settings.string("target").map { t throws(ConfigError) in try ExtractSettings.field(t, setting: "target", in: settings) }

        var o = KVScanner.Options()
        o.fieldSplit = try settings.declaredString("field_split")
        o.valueSplit = try settings.declaredString("value_split")
        guard !o.valueSplit.isEmpty else { throw settings.error("value_split", "must be a non-empty string") }
        o.fieldSplitPattern = try ExtractSettings.nonEmpty("field_split_pattern", in: settings)
        o.valueSplitPattern = try ExtractSettings.nonEmpty("value_split_pattern", in: settings)
        o.lenient = settings.string("whitespace") != "strict"
        o.includeBrackets = try settings.declaredBool("include_brackets")
        do { scanner = try KVScanner(o) } catch { throw settings.error(error.setting, error.message) }

        func charClass(_ name: String, trim: Bool) throws(ConfigError) -> Regex? {
            guard let chars = settings.string(name) else { return nil }
            // Logstash: `^[chars]+|[chars]+$` to trim, `[chars]` to remove.
            let pattern = trim ? "^[\(chars)]+|[\(chars)]+$" : "[\(chars)]"
            do { return try KVScanner.compile(pattern, name) } catch { throw settings.error(name, error.message) }
        }
        trimKey = try charClass("trim_key", trim: true)
        trimValue = try charClass("trim_value", trim: true)
        removeKey = try charClass("remove_char_key", trim: false)
        removeValue = try charClass("remove_char_value", trim: false)

        include = settings.strings("include_keys").map { Template($0) }
        exclude = settings.strings("exclude_keys").map { Template($0) }
        prefix = Template(try settings.declaredString("prefix"))
        constantRules = (include + exclude + [prefix]).allSatisfy(\.isConstant)
            ? KeyRules(include: Set(include.map(\.text)), exclude: Set(exclude.map(\.text)), prefix: prefix.text)
            : nil
        defaults = settings.hash("default_keys")
        recursive = try settings.declaredBool("recursive")
        allowDuplicates = try settings.declaredBool("allow_duplicate_values")
        transformKey = settings.string("transform_key").flatMap(Transform.init(rawValue:))
        transformValue = settings.string("transform_value").flatMap(Transform.init(rawValue:))
        let millis = try settings.declaredInt("timeout_millis")
        guard millis >= 0 else { throw settings.error("timeout_millis", "must be 0 (no timeout) or more, got \(millis)") }
        timeout = millis > 0 ? .milliseconds(millis) : nil
        tagOnTimeout = try settings.declaredString("tag_on_timeout")
        tagOnFailure = settings.strings("tag_on_failure")
        if try ExtractSettings.ecsEnabled(settings) && target == nil {
            logger.info("kv \(id): ECS compatibility is on but `target` is not set; keys go to the event root and may clash with ECS fields")
        }
    }

    public func filter(_ event: inout Event, _ context: inout FilterContext) -> FilterResult {
        let rules = constantRules
            ?? KeyRules(include: Set(include.map { $0.render(event) }), exclude: Set(exclude.map { $0.render(event) }),
                        prefix: prefix.render(event))
        let deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
        var kv = FieldMap()
        do {
            switch event[source] {
            case nil, .null?:
                break
            case .string(let text)?:
                try parse(text, rules, deadline, into: &kv)
            case .array(let texts)?:
                for case .string(let text) in texts { try parse(text, rules, deadline, into: &kv) }
            case let other?:
                logger.warning("kv \(id): no support for a \(other.typeName) in `\(source)`")
            }
        } catch {
            logger.warning("kv \(id): timeout parsing `\(source)` after \(timeout.map { "\($0)" } ?? "")")
            event.addTag(tagOnTimeout)
            return .unmatched
        }

        var merged = defaults
        for e in kv { merged.set(e.key, e.value) }
        if merged.isEmpty { return .unmatched }
        if let target {
            guard event.set(target, .object(merged)) else { return fail(&event, "cannot set `\(target)`: a parent is not a hash") }
            return .matched
        }
        for e in merged {
            guard let ref = try? FieldReference(parsing: e.key) else {
                return fail(&event, "key `\(e.key)` is not a valid field reference")
            }
            guard event.set(ref, e.value) else { return fail(&event, "cannot set `\(e.key)`: a parent is not a hash") }
        }
        return .matched
    }

    private func fail(_ event: inout Event, _ why: String) -> FilterResult {
        logger.warning("kv \(id): exception while parsing KV: \(why)")
        for tag in tagOnFailure { event.addTag(tag) }
        return .unmatched
    }

    private func parse(_ text: String, _ rules: KeyRules, _ deadline: ContinuousClock.Instant?,
                       into kv: inout FieldMap) throws(Timeout) {
        guard let pairs = scanner.pairs(in: text, deadline: deadline) else { throw Timeout() }
        for (rawKey, rawValue) in pairs {
            guard var value = rawValue, !value.isEmpty else { continue }
            var key = rawKey
            if let trimKey { key = trimKey.replaceAll(in: key, with: "") }
            if let removeKey { key = removeKey.replaceAll(in: key, with: "") }
            if let transformKey { key = transformKey.apply(key) }
            if !rules.include.isEmpty && !rules.include.contains(key) { continue }
            if rules.exclude.contains(key) { continue }
            key = rules.prefix + key
            if key.isEmpty { continue }

            if let trimValue { value = trimValue.replaceAll(in: value, with: "") }
            if let removeValue { value = removeValue.replaceAll(in: value, with: "") }
            if let transformValue { value = transformValue.apply(value) }
            if !allowDuplicates, let existing = kv[key], Self.includes(existing, value) { continue }

            var stored = Value.string(value)
            if recursive {
                var inner = FieldMap()
                try parse(value, rules, deadline, into: &inner)
                if !inner.isEmpty { stored = .object(inner) }
            }
            switch kv[key] {
            case .array(var list)?:
                kv.set(key, .null)  // release the stored copy so the append does not copy the array
                list.append(stored)
                kv.set(key, .array(list))
            case let existing?:
                kv.set(key, .array([existing, stored]))
            case nil:
                kv.set(key, stored)
            }
        }
    }

    /// Ruby's `include?` on what is stored: substring of a string, element of an array, key of a hash.
    private static func includes(_ existing: Value, _ value: String) -> Bool {
        switch existing {
        case .string(let s):
            let hay = Array(s.utf8), needle = Array(value.utf8)
            guard needle.count <= hay.count else { return false }
            return (0...(hay.count - needle.count)).contains { i in hay[i..<(i + needle.count)].elementsEqual(needle) }
        case .array(let list): return list.contains(.string(value))
        case .object(let m): return m[value] != nil
        default: return false
        }
    }
}
