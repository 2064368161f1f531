import SluiceCore

/// The key/value scanner of Logstash's kv filter, built from the same regular expression the
/// Ruby plugin composes (PCRE2 reads Ruby's syntax for everything generated here):
///
///     KEY VALUE_SPLIT (VALUE)? (FIELD_SPLIT | $)
///
/// KEY is escaped characters or anything but the split characters (or the split patterns);
/// VALUE is a double- or single-quoted text, a bracketed text (`()`, `[]`, `<>` when
/// `include_brackets`), or escaped characters / anything up to the field splitter. In lenient
/// mode the value splitter may be surrounded by spaces. Each piece Ruby interpolates as a
/// `(?-mix:...)` group is a `(?:...)` group here; `$` is multiline, as Ruby's always is.
/// Built per filter instance (that is, per worker) because a `Regex` owns its match data.
struct KVScanner {
    struct Options {
        var fieldSplit = " "
        var valueSplit = "="
        var fieldSplitPattern: String?
        var valueSplitPattern: String?
        var lenient = true
        var includeBrackets = true
    }

    /// Which setting a regular expression that does not compile comes from.
    struct CompileError: Error {
        let setting: String
        let message: String
    }

    let scan: Regex
    let valueSplit: Regex

    init(_ o: Options) throws(CompileError) {
        func g(_ s: String) -> String { "(?:" + s + ")" }
        func untilCharclass(_ cc: String) -> String { "((?:\\\\.|[^" + cc + "])+)" }
        func untilPattern(_ p: String) -> String { "((?:\\\\.|(?!" + g(p) + ").)+)" }
        func quoted(_ open: String, _ close: String) -> String { g(open) + g(untilCharclass(close)) + "?" + g(close) }

        let fieldSplitSetting = o.fieldSplitPattern == nil ? "field_split" : "field_split_pattern"
        let valueSplitSetting = o.valueSplitPattern == nil ? "value_split" : "value_split_pattern"
        let fsp = o.fieldSplitPattern ?? "[" + o.fieldSplit + "]"
        var vsp = o.valueSplitPattern ?? "[" + o.valueSplit + "]"
        _ = try Self.compile(fsp, fieldSplitSetting)
        _ = try Self.compile(vsp, valueSplitSetting)
        if o.lenient { vsp = g(" *") + g(vsp) + g(" *") }

        let key = o.fieldSplitPattern != nil || o.valueSplitPattern != nil
            ? untilPattern(g(vsp) + "|" + g(fsp))
            : untilCharclass(o.valueSplit + o.fieldSplit)
        var values = [quoted("\"", "\""), quoted("'", "'")]
        if o.includeBrackets {
            values += [quoted("\\(", "\\)"), quoted("\\[", "\\]"), quoted("<", ">")]
        }
        values.append(o.fieldSplitPattern != nil ? untilPattern(fsp) : untilCharclass(o.fieldSplit))
        let value = values.map(g).joined(separator: "|")
        let text = g(key) + g(vsp) + g(value) + "?" + g(g(fsp) + "|" + g("$"))
        scan = try Self.compile(text, "\(fieldSplitSetting)` / `\(valueSplitSetting)")
        valueSplit = try Self.compile(vsp, valueSplitSetting)
    }

    static func compile(_ pattern: String, _ setting: String) throws(CompileError) -> Regex {
        do { return try Regex(pattern, options: [.multiline]) } catch {
            throw CompileError(setting: setting, message: "`\(pattern)` is not a valid regular expression: \(error.description)")
        }
    }

    /// The raw key and the first value alternative that matched (nil when the value is
    /// missing, as in `key=` at the end) of each match, left to right; nil once `deadline` passed.
    func pairs(in text: String, deadline: ContinuousClock.Instant?) -> [(key: String, value: String?)]? {
        guard valueSplit.matches(text) else { return [] }
        var copy = text
        return copy.withUTF8 { buf -> [(key: String, value: String?)]? in
            var out: [(key: String, value: String?)] = []
            var pos = 0
            while pos <= buf.count, let m = scan.firstMatch(in: buf, from: pos), let whole = m[0] {
                if let deadline, ContinuousClock.now > deadline { return nil }
                pos = whole.isEmpty ? whole.upperBound + 1 : whole.upperBound
                guard let k = m[1] else { continue }
                let v = m.dropFirst(2).first(where: { $0 != nil }) ?? nil
                out.append((Self.text(buf, k), v.map { Self.text(buf, $0) }))
            }
            return out
        }
    }

    private static func text(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: buf[r]), as: UTF8.self)
    }
}
