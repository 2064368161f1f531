import SluiceCore

/// Logstash's `mutate` filter: renames, replaces, converts and reshapes fields.
///
/// Operations always run in Logstash's documented order, whatever their order in the
/// file: coerce, rename, update, replace, convert, gsub, uppercase, capitalize,
/// lowercase, strip, split, join, merge, copy. The first failing operation aborts the
/// rest and tags the event with `tag_on_failure` (then add_field/add_tag do not apply).
public final class MutateFilter: FilterPlugin {
    public static let pluginName = "mutate"
    public static let summary = "Renames, replaces, converts and modifies fields."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("coerce", .hash,
                    doc: "Sets fields that exist but are null to a default value (sprintf): `{ \"field\" => \"default\" }`."),
        SettingSpec("rename", .hash,
                    doc: "Renames fields: `{ \"old\" => \"new\" }`; an existing target is replaced, a missing source skipped."),
        SettingSpec("update", .hash,
                    doc: "Sets existing fields to a new value (sprintf); missing fields are left alone."),
        SettingSpec("replace", .hash,
                    doc: "Sets fields to a new value (sprintf), adding them when missing."),
        SettingSpec("convert", .hash,
                    doc: "Converts values: `integer`, `integer_eu`, `float`, `float_eu`, `string` or `boolean`; arrays element-wise, hashes untouched."),
        SettingSpec("gsub", .array,
                    doc: "Regex replacements as `[field, regex, replacement, ...]` triplets, on strings and arrays of strings."),
        SettingSpec("uppercase", .array, doc: "Fields whose strings are uppercased."),
        SettingSpec("capitalize", .array, doc: "Fields whose strings get an uppercase first letter and lowercase rest."),
        SettingSpec("lowercase", .array, doc: "Fields whose strings are lowercased."),
        SettingSpec("strip", .array, doc: "Fields whose strings lose leading and trailing whitespace."),
        SettingSpec("split", .hash, doc: "Splits string fields into arrays: `{ \"field\" => \",\" }`."),
        SettingSpec("join", .hash, doc: "Joins array fields into strings: `{ \"field\" => \",\" }`."),
        SettingSpec("merge", .hash,
                    doc: "Appends fields to others: `{ \"dest\" => \"added\" }`; strings become arrays, hashes merge into hashes."),
        SettingSpec("copy", .hash, doc: "Copies fields: `{ \"source\" => \"dest\" }`; an existing dest is replaced."),
        SettingSpec("tag_on_failure", .string, default: "_mutate_error",
                    doc: "Tag added when an operation fails; the remaining operations are skipped."),
    ]

    private struct GsubRule {
        enum Needle {
            case fixed(Regex)
            case templated(Template, String)
        }
        let field: FieldReference
        let needle: Needle
        let replacement: SprintfText
    }

    private let id: String
    private let logger: Logger
    private let coerce: [(FieldReference, SprintfText)]
    private let rename: [(SprintfField, SprintfField)]
    private let update: [(SprintfField, SprintfText)]
    private let replace: [(SprintfField, SprintfText)]
    private let convert: [(FieldReference, MutateConversion)]
    private let gsub: [GsubRule]
    private let uppercase: [FieldReference]
    private let capitalize: [FieldReference]
    private let lowercase: [FieldReference]
    private let strip: [FieldReference]
    private let split: [(FieldReference, String)]
    private let join: [(FieldReference, String)]
    private let merge: [(FieldReference, [FieldReference])]
    private let copy: [(SprintfField, SprintfField)]
    private let tagOnFailure: String
    /// Regexes built from gsub patterns that contain `%{...}`, by rendered pattern.
    private var dynamicRegexes: [String: Regex] = [:]
    private static let dynamicRegexLimit = 256
    /// Ruby's `^` and `$` always match at line boundaries; PCRE needs MULTILINE for that.
    private static let rubyRegexOptions: Regex.Options = [.multiline]

    public init(settings: PluginSettings, context: PluginContext) throws {
        id = settings.id
        logger = context.logger
        tagOnFailure = try settings.declaredString("tag_on_failure")

        coerce = try settings.hash("coerce").map { entry throws(ConfigError) in
            (try settings.parsedField(entry.key, setting: "coerce"),
             SprintfText(try settings.scalarText(entry.value, setting: "coerce", entry: entry.key)))
        }
        rename = try Self.fieldPairs(settings, "rename")
        copy = try Self.fieldPairs(settings, "copy")
        update = try Self.fieldValues(settings, "update")
        replace = try Self.fieldValues(settings, "replace")

        convert = try settings.hash("convert").map { entry throws(ConfigError) in
            let ref = try settings.parsedField(entry.key, setting: "convert")
            let name = try settings.scalarText(entry.value, setting: "convert", entry: entry.key)
            guard let kind = MutateConversion(rawValue: name) else {
                let names = MutateConversion.allCases.map(\.rawValue)
                var msg = "invalid conversion `\(name)` for `\(entry.key)`; expected one of "
                    + names.map { "`\($0)`" }.joined(separator: ", ")
                if let near = Suggest.closest(to: name, in: names) { msg += "; did you mean `\(near)`?" }
                throw settings.error("convert", msg)
            }
            return (ref, kind)
        }

        let triplets = settings.array("gsub")
        guard triplets.count % 3 == 0 else {
            throw settings.error("gsub", "expects `[field, regex, replacement]` triplets; got \(triplets.count) values")
        }
        var rules: [GsubRule] = []
        for i in stride(from: 0, to: triplets.count, by: 3) {
            let field = try settings.scalarText(triplets[i], setting: "gsub", entry: "field #\(i / 3 + 1)")
            let pattern = try settings.scalarText(triplets[i + 1], setting: "gsub", entry: field)
            let replacement = try settings.scalarText(triplets[i + 2], setting: "gsub", entry: field)
            let needle: GsubRule.Needle
            if pattern.contains("%{") {
                // Rendered and compiled per event (cached), as Logstash does for such patterns.
                needle = .templated(Template(pattern), pattern)
            } else {
                do { needle = .fixed(try Regex(pattern, options: Self.rubyRegexOptions)) } catch {
                    throw settings.error("gsub", "pattern `\(pattern)` for `\(field)`: \(error.description)")
                }
            }
            rules.append(GsubRule(field: try settings.parsedField(field, setting: "gsub"), needle: needle,
                                  replacement: SprintfText(replacement)))
        }
        gsub = rules

        uppercase = try Self.fieldList(settings, "uppercase")
        capitalize = try Self.fieldList(settings, "capitalize")
        lowercase = try Self.fieldList(settings, "lowercase")
        strip = try Self.fieldList(settings, "strip")
        split = try Self.fieldSeparators(settings, "split")
        join = try Self.fieldSeparators(settings, "join")

        merge = try settings.hash("merge").map { entry throws(ConfigError) in
            let dest = try settings.parsedField(entry.key, setting: "merge")
            // Repeated `merge` settings for one destination arrive as an array of sources.
            let sources = entry.value.arrayValue ?? [entry.value]
            let refs = try sources.map { v throws(ConfigError) in
                try settings.parsedField(try settings.scalarText(v, setting: "merge", entry: entry.key), setting: "merge")
            }
            return (dest, refs)
        }
    }

    public func filter(_ event: inout Event, _ context: inout FilterContext) -> FilterResult {
        do {
            try apply(&event)
            return .matched
        } catch {
            logger.warning("mutate \(id): \(error.message); remaining operations skipped")
            event.addTag(tagOnFailure)
            return .unmatched
        }
    }

    // MARK: operations, in Logstash's order

    private func apply(_ event: inout Event) throws(MutateFailure) {
        for (ref, value) in coerce {
            guard case .null? = event[ref] else { continue }
            try Self.set(&event, ref, .string(value.render(event)))
        }
        for (from, to) in rename {
            let source = try Self.resolve(from, event), dest = try Self.resolve(to, event)
            guard let v = event.remove(source) else { continue }
            try Self.set(&event, dest, v)
        }
        for (field, value) in update {
            let ref = try Self.resolve(field, event)
            guard event.contains(ref) else { continue }
            try Self.set(&event, ref, .string(value.render(event)))
        }
        for (field, value) in replace {
            try Self.set(&event, try Self.resolve(field, event), .string(value.render(event)))
        }
        for (ref, kind) in convert {
            event.modify(ref) { kind.apply(to: &$0) }
        }
        for rule in gsub {
            try applyGsub(rule, to: &event)
        }
        for ref in uppercase { event.modify(ref) { MutateText.mapStrings(&$0) { $0.uppercased() } } }
        for ref in capitalize { event.modify(ref) { MutateText.mapStrings(&$0, MutateText.capitalized) } }
        for ref in lowercase { event.modify(ref) { MutateText.mapStrings(&$0) { $0.lowercased() } } }
        for ref in strip { event.modify(ref) { MutateText.mapStrings(&$0, MutateText.stripped) } }
        for (ref, separator) in split {
            event.modify(ref) { v in
                if case .string(let s) = v { v = .array(MutateText.split(s, by: separator).map(Value.string)) }
            }
        }
        for (ref, separator) in join {
            event.modify(ref) { v in
                if case .array(let a) = v { v = .string(MutateText.join(a, separator)) }
            }
        }
        for (dest, sources) in merge {
            for source in sources { try merge(source, into: dest, &event) }
        }
        for (from, to) in copy {
            guard let v = try event[Self.resolve(from, event)], !v.isNull else { continue }
            try Self.set(&event, try Self.resolve(to, event), v)
        }
    }

    private func applyGsub(_ rule: GsubRule, to event: inout Event) throws(MutateFailure) {
        // Only strings and arrays are touched, so a dynamic pattern is rendered only for those.
        switch event[rule.field] {
        case .string?, .array?: break
        default: return
        }
        let regex: Regex
        switch rule.needle {
        case .fixed(let r): regex = r
        case .templated(let template, _): regex = try dynamicRegex(template.render(event))
        }
        let replacement = rule.replacement.render(event)
        event.modify(rule.field) { v in
            MutateText.mapStrings(&v) { regex.replaceAll(in: $0, with: replacement) }
        }
    }

    private func dynamicRegex(_ pattern: String) throws(MutateFailure) -> Regex {
        if let r = dynamicRegexes[pattern] { return r }
        let r: Regex
        do { r = try Regex(pattern, options: Self.rubyRegexOptions) } catch {
            throw MutateFailure(message: "gsub pattern `\(pattern)`: \(error.description)")
        }
        // Patterns built from event data could grow without bound; start over when full.
        if dynamicRegexes.count >= Self.dynamicRegexLimit { dynamicRegexes.removeAll(keepingCapacity: true) }
        dynamicRegexes[pattern] = r
        return r
    }

    /// Logstash's merge: hash into hash, anything else concatenated as arrays (a missing or
    /// null field counts as an empty array, a scalar as a one-element array).
    private func merge(_ source: FieldReference, into dest: FieldReference, _ event: inout Event) throws(MutateFailure) {
        let added = event[source]
        let current = event[dest]
        switch (current, added) {
        case (.object(var d)?, .object(let a)?):
            for (k, v) in a { d.set(k, v) }
            try Self.set(&event, dest, .object(d))
        case (.object?, _), (_, .object?):
            // Logstash logs this and goes on with the next merge; it is not a failure.
            logger.error("mutate \(id): cannot merge `\(source)` into `\(dest)`: a hash merges only with a hash")
        default:
            try Self.set(&event, dest, .array(Self.asArray(current) + Self.asArray(added)))
        }
    }

    /// Ruby's `Array(x)`.
    private static func asArray(_ v: Value?) -> [Value] {
        switch v {
        case nil, .null?: return []
        case .array(let a)?: return a
        case let other?: return [other]
        }
    }

    // MARK: helpers

    @inline(__always)
    private static func resolve(_ field: SprintfField, _ event: Event) throws(MutateFailure) -> FieldReference {
        do { return try field.resolve(event) } catch { throw MutateFailure(message: error.description) }
    }

    @inline(__always)
    private static func set(_ event: inout Event, _ ref: FieldReference, _ value: Value) throws(MutateFailure) {
        guard event.set(ref, value) else {
            throw MutateFailure(message: "cannot set `\(ref)`: a parent of it is not a hash")
        }
    }

    private static func fieldList(_ settings: PluginSettings, _ name: String) throws(ConfigError) -> [FieldReference] {
        try settings.array(name).map { v throws(ConfigError) in
            try settings.parsedField(try settings.scalarText(v, setting: name, entry: "field"), setting: name)
        }
    }

    private static func fieldSeparators(_ settings: PluginSettings, _ name: String) throws(ConfigError) -> [(FieldReference, String)] {
        try settings.hash(name).map { entry throws(ConfigError) in
            (try settings.parsedField(entry.key, setting: name),
             try settings.scalarText(entry.value, setting: name, entry: entry.key))
        }
    }

    private static func fieldPairs(_ settings: PluginSettings, _ name: String) throws(ConfigError) -> [(SprintfField, SprintfField)] {
        try settings.hash(name).map { entry throws(ConfigError) in
            (try settings.sprintfField(entry.key, setting: name),
             try settings.sprintfField(try settings.scalarText(entry.value, setting: name, entry: entry.key), setting: name))
        }
    }

    private static func fieldValues(_ settings: PluginSettings, _ name: String) throws(ConfigError) -> [(SprintfField, SprintfText)] {
        try settings.hash(name).map { entry throws(ConfigError) in
            (try settings.sprintfField(entry.key, setting: name),
             SprintfText(try settings.scalarText(entry.value, setting: name, entry: entry.key)))
        }
    }
}

/// Why a mutate operation failed for one event.
struct MutateFailure: Error {
    let message: String
}
