extension Regex {
    /// PCRE2 10.42's JIT code for PCRE2_MATCH_INVALID_UTF lets a bare `\S`, `\W` or `\D` miss
    /// every non-ASCII character, while the same escape inside a class works; so they are
    /// wrapped in one (`\S` becomes `[\S]`), which means exactly the same.
    static func wrapNegatedShorthands(_ pattern: String) -> String {
        let t = Array(pattern.utf8)
        func isNegated(_ b: UInt8) -> Bool { b == UInt8(ascii: "S") || b == UInt8(ascii: "W") || b == UInt8(ascii: "D") }
        guard t.indices.dropLast().contains(where: { t[$0] == UInt8(ascii: "\\") && isNegated(t[$0 + 1]) }) else { return pattern }
        var out: [UInt8] = []
        out.reserveCapacity(t.count + 8)
        var i = 0
        var inClass = false
        while i < t.count {
            let c = t[i]
            if c == UInt8(ascii: "\\"), i + 1 < t.count {
                let d = t[i + 1]
                if d == UInt8(ascii: "Q") {
                    // \Q...\E is literal text: copy it whole.
                    var j = i + 2
                    while j + 1 < t.count && !(t[j] == UInt8(ascii: "\\") && t[j + 1] == UInt8(ascii: "E")) { j += 1 }
                    let end = j + 1 < t.count ? j + 2 : t.count
                    out.append(contentsOf: t[i..<end])
                    i = end
                    continue
                }
                if !inClass && isNegated(d) {
                    out.append(UInt8(ascii: "[")); out.append(c); out.append(d); out.append(UInt8(ascii: "]"))
                } else {
                    out.append(c); out.append(d)
                }
                i += 2
                continue
            }
            if inClass {
                if c == UInt8(ascii: "["), i + 1 < t.count, t[i + 1] == UInt8(ascii: ":"),
                   let close = t[(i + 2)...].firstIndex(of: UInt8(ascii: "]")) {
                    out.append(contentsOf: t[i...close])  // a POSIX class like [:alpha:]
                    i = close + 1
                    continue
                }
                if c == UInt8(ascii: "]") { inClass = false }
                out.append(c); i += 1
                continue
            }
            out.append(c)
            i += 1
            if c == UInt8(ascii: "[") {
                inClass = true
                // A `]` right after `[` or `[^` is a literal member.
                if i < t.count, t[i] == UInt8(ascii: "^") { out.append(t[i]); i += 1 }
                if i < t.count, t[i] == UInt8(ascii: "]") { out.append(t[i]); i += 1 }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
