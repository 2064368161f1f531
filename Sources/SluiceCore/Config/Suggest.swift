/// "Did you mean …?" suggestions for misspelt plugin, setting and section names.
public enum Suggest {
    /// The candidate closest to `word` (case-insensitive Damerau–Levenshtein distance),
    /// or nil when none is close enough to be a plausible typo.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        let w = Array(word.lowercased().unicodeScalars)
        guard !w.isEmpty else { return nil }
        // Short words tolerate one edit, longer ones up to three.
        let limit = w.count <= 3 ? 1 : (w.count <= 6 ? 2 : 3)
        var best: (name: String, distance: Int)?
        for c in candidates {
            let d = distance(w, Array(c.lowercased().unicodeScalars))
            if d <= limit, d < (best?.distance ?? Int.max) { best = (c, d) }
        }
        if let best { return best.name }
        // A truncated name (`elastic` for `elasticsearch`) is also a plausible slip.
        if w.count >= 4 {
            let lw = word.lowercased()
            return candidates.first { $0.lowercased().hasPrefix(lw) }
        }
        return nil
    }

    /// Optimal-string-alignment distance: insertions, deletions, substitutions and
    /// transpositions of adjacent characters each cost 1.
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        let width = b.count + 1
        var prev2 = [Int](repeating: 0, count: width)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: width)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    v = min(v, prev2[j - 2] + 1)
                }
                cur[j] = v
            }
            (prev2, prev, cur) = (prev, cur, prev2)
        }
        return prev[b.count]
    }
}
