/// A setting given twice in one plugin merges as in Logstash (`lscl.rb`, `expr_attributes`,
/// with `LogStash::Util.hash_merge_many`): hashes merge key by key, an array takes the
/// later values appended, and two different scalars become an array of both.
enum SettingMerge {
    static func merge(_ settings: [Setting]) -> [Setting] {
        var index: [String: Int] = [:]
        var out: [Setting] = []
        out.reserveCapacity(settings.count)
        for s in settings {
            if let i = index[s.name] {
                out[i].value = combine(out[i].value, s.value)
            } else {
                index[s.name] = out.count
                out.append(s)
            }
        }
        return out
    }

    static func combine(_ existing: ConfigValue, _ value: ConfigValue) -> ConfigValue {
        switch (existing, value) {
        case (.hash(let a), .hash(let b)):
            return .hash(mergeHashes(a, b, keepDuplicates: true))
        case (.array(let a), .array(let b)):
            return .array(a + b)
        case (.array(let a), _):
            return .array(a + [value])
        default:
            return existing == value ? existing : .array([existing, value])
        }
    }

    /// `hash_merge_with_dups` (`keepDuplicates`) and `hash_merge` (arrays as sets) from
    /// Logstash's util.rb: a key in both becomes a merged hash, a combined array, or both values.
    static func mergeHashes(_ dst: [HashEntry], _ src: [HashEntry], keepDuplicates: Bool) -> [HashEntry] {
        var out = dst
        for entry in src {
            guard let i = out.lastIndex(where: { $0.key == entry.key }) else {
                out.append(entry)
                continue
            }
            let d = out[i].value, s = entry.value
            let merged: ConfigValue
            switch (d, s) {
            case (.hash(let dh), .hash(let sh)):
                merged = .hash(mergeHashes(dh, sh, keepDuplicates: false))
            case (_, .array(let sa)):
                let da = d.arrayValue ?? [d]
                merged = .array(keepDuplicates ? da + sa : union(da, sa))
            case (.array(let da), _):
                merged = da.contains(s) ? d : .array(da + [s])
            default:
                merged = d == s ? d : .array([d, s])
            }
            out[i].value = merged
        }
        return out
    }

    /// Ruby's `a | b`: the elements of both, first occurrence kept, in order.
    private static func union(_ a: [ConfigValue], _ b: [ConfigValue]) -> [ConfigValue] {
        var out: [ConfigValue] = []
        for v in a + b where !out.contains(v) { out.append(v) }
        return out
    }
}
