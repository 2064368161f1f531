import SluiceCore

/// One capture a grok pattern produces: a field and an optional conversion, found under
/// an internal PCRE2 group name (`_g12`) that the compiled pattern maps to a group number.
struct CaptureSpec {
    var groupName: String
    var fieldText: String
    var conversion: GrokConversion?
}

/// Turns a grok pattern into one PCRE2 regex: expands `%{NAME}`, `%{NAME:field}`,
/// `%{NAME:field:int}` and `%{NAME=regex}` recursively (with cycle detection), and renames
/// every capture to an internal name so that field names like `[http][status]` work.
/// Ruby (Oniguruma) syntax that PCRE2 reads differently is rewritten on the way
/// (see `rewriteEscape`, `copyClass`, `rewriteGroupHead`).
struct GrokExpander {
    let library: GrokLibrary
    let namedCapturesOnly: Bool
    var captures: [CaptureSpec] = []
    /// User-written group names (`(?<name>...)`) to the internal name of their last definition.
    var rawNames: [String: String] = [:]
    /// Inline `%{NAME=regex}` definitions of this pattern.
    var inline: [String: String] = [:]
    private var stack: [String] = []
    private var expandedBytes = 0

    /// Expansion beyond this size is almost certainly a pattern that references itself
    /// through many paths; refuse it rather than build a gigantic regex.
    static let maxExpandedBytes = 4 << 20

    init(library: GrokLibrary, namedCapturesOnly: Bool) {
        self.library = library
        self.namedCapturesOnly = namedCapturesOnly
    }

    /// The regex for `pattern`.
    mutating func expand(_ pattern: String) throws(GrokError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(pattern.utf8.count * 4)
        try expand(Array(pattern.utf8), into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func expand(_ t: [UInt8], into out: inout [UInt8]) throws(GrokError) {
        var i = 0
        let n = t.count
        while i < n {
            switch t[i] {
            case UInt8(ascii: "\\"):
                i = rewriteEscape(t, i, into: &out)
            case UInt8(ascii: "["):
                i = Self.copyClass(t, i, into: &out)
            case UInt8(ascii: "("):
                i = try rewriteGroupHead(t, i, into: &out)
            case UInt8(ascii: "%") where i + 1 < n && t[i + 1] == UInt8(ascii: "{"):
                if let ref = GrokReference.parse(t, i) {
                    try insert(ref, into: &out)
                    i = ref.end
                } else {
                    out.append(t[i]); i += 1
                }
            default:
                out.append(t[i]); i += 1
            }
            if out.count > Self.maxExpandedBytes {
                throw GrokError("pattern expands to more than \(Self.maxExpandedBytes >> 20) MiB of regex")
            }
        }
    }

    /// Expands one `%{...}` reference in place.
    private mutating func insert(_ ref: GrokReference, into out: inout [UInt8]) throws(GrokError) {
        if let def = ref.definition { inline[ref.name] = def }
        let body: String
        if let def = inline[ref.name] {
            body = def
        } else if let def = library[ref.name] {
            body = def.regex
        } else {
            var msg = "unknown pattern `%{\(ref.name)}`"
            if let parent = stack.last { msg += " (used by pattern `\(parent)`)" }
            if let near = Suggest.closest(to: ref.name, in: library.names) { msg += "; did you mean `\(near)`?" }
            throw GrokError(msg)
        }
        if let start = stack.firstIndex(of: ref.name) {
            let cycle = (stack[start...] + [ref.name]).joined(separator: " -> ")
            throw GrokError("pattern cycle: \(cycle)" + origins(stack[start...]))
        }
        let capture: CaptureSpec?
        if let semantic = ref.semantic {
            let parts = semantic.split(separator: ":", omittingEmptySubsequences: false)
            let field = String(parts[0])
            guard !field.isEmpty else { throw GrokError("empty field name in `%{\(ref.name):\(semantic)}`") }
            capture = CaptureSpec(groupName: nextGroupName(), fieldText: field,
                                  conversion: parts.count > 1 ? GrokConversion(rawValue: String(parts[1])) : nil)
        } else if !namedCapturesOnly {
            capture = CaptureSpec(groupName: nextGroupName(), fieldText: ref.name, conversion: nil)
        } else {
            capture = nil
        }
        if let capture {
            captures.append(capture)
            out.append(contentsOf: "(?<\(capture.groupName)>".utf8)
        } else {
            out.append(contentsOf: "(?:".utf8)
        }
        // Each reference recurses once; a long chain of definitions must not exhaust the stack.
        guard stack.count < ConfigLimits.maxNesting else {
            throw GrokError("pattern references nest deeper than \(ConfigLimits.maxNesting) levels (through `\(ref.name)`)")
        }
        stack.append(ref.name)
        try expand(Array(body.utf8), into: &out)
        stack.removeLast()
        out.append(UInt8(ascii: ")"))
    }

    private func origins(_ names: ArraySlice<String>) -> String {
        let places = names.compactMap { name in library[name].map { "`\(name)` at \($0.origin)" } }
        return places.isEmpty ? "" : " (" + places.joined(separator: ", ") + ")"
    }

    private mutating func nextGroupName() -> String {
        "_g\(captures.count)"
    }

    // MARK: Oniguruma syntax

    /// Escapes: `\Q...\E` copied whole, Ruby's `\h`/`\H` (hex digit) spelled out, named
    /// back-references and subroutine calls (`\k<name>`, `\g<name>`) renamed.
    private func rewriteEscape(_ t: [UInt8], _ i: Int, into out: inout [UInt8]) -> Int {
        let n = t.count
        guard i + 1 < n else { out.append(t[i]); return i + 1 }
        let d = t[i + 1]
        switch d {
        case UInt8(ascii: "Q"):
            var j = i + 2
            while j + 1 < n && !(t[j] == UInt8(ascii: "\\") && t[j + 1] == UInt8(ascii: "E")) { j += 1 }
            let end = j + 1 < n ? j + 2 : n
            out.append(contentsOf: t[i..<end])
            return end
        case UInt8(ascii: "h"):
            out.append(contentsOf: "[0-9a-fA-F]".utf8); return i + 2
        case UInt8(ascii: "H"):
            out.append(contentsOf: "[^0-9a-fA-F]".utf8); return i + 2
        case UInt8(ascii: "k"), UInt8(ascii: "g"):
            guard i + 2 < n, let close = Self.closer(t[i + 2]),
                  let end = t[(i + 3)...].firstIndex(of: close) else { break }
            let name = String(decoding: t[(i + 3)..<end], as: UTF8.self)
            guard let renamed = rawNames[name] else { break }
            out.append(contentsOf: t[i..<(i + 3)])
            out.append(contentsOf: renamed.utf8)
            out.append(close)
            return end + 1
        default:
            break
        }
        out.append(t[i]); out.append(d)
        return i + 2
    }

    private static func closer(_ open: UInt8) -> UInt8? {
        switch open {
        case UInt8(ascii: "<"): return UInt8(ascii: ">")
        case UInt8(ascii: "'"): return UInt8(ascii: "'")
        case UInt8(ascii: "{"): return UInt8(ascii: "}")
        default: return nil
        }
    }

    /// Copies a character class. POSIX classes are Unicode-aware in Ruby and ASCII in
    /// PCRE2; the common ones are spelled out with Unicode properties.
    static func copyClass(_ t: [UInt8], _ start: Int, into out: inout [UInt8]) -> Int {
        let n = t.count
        var i = start + 1
        out.append(UInt8(ascii: "["))
        if i < n && t[i] == UInt8(ascii: "^") { out.append(t[i]); i += 1 }
        if i < n && t[i] == UInt8(ascii: "]") { out.append(t[i]); i += 1 }
        while i < n {
            let c = t[i]
            if c == UInt8(ascii: "]") { out.append(c); return i + 1 }
            if c == UInt8(ascii: "\\") && i + 1 < n {
                if t[i + 1] == UInt8(ascii: "h") { out.append(contentsOf: "0-9a-fA-F".utf8) } else {
                    out.append(c); out.append(t[i + 1])
                }
                i += 2
                continue
            }
            if c == UInt8(ascii: "["), i + 1 < n, t[i + 1] == UInt8(ascii: ":"),
               let end = findPosixEnd(t, i + 2) {
                let name = String(decoding: t[(i + 2)..<end], as: UTF8.self)
                if let spelled = unicodePosix[name] { out.append(contentsOf: spelled.utf8) } else {
                    out.append(contentsOf: t[i..<(end + 2)])
                }
                i = end + 2
                continue
            }
            out.append(c); i += 1
        }
        return n
    }

    private static func findPosixEnd(_ t: [UInt8], _ from: Int) -> Int? {
        var j = from
        while j + 1 < t.count {
            let c = t[j]
            if c == UInt8(ascii: ":") && t[j + 1] == UInt8(ascii: "]") { return j }
            guard (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || c == UInt8(ascii: "^") else { return nil }
            j += 1
        }
        return nil
    }

    /// Onigmo's POSIX classes for UTF-8 strings, as PCRE2 class items.
    static let unicodePosix: [String: String] = [
        "alnum": #"\p{L}\p{M}\p{Nd}"#,
        "alpha": #"\p{L}\p{M}"#,
        "blank": #"\p{Zs}\t"#,
        "digit": #"\p{Nd}"#,
        "lower": #"\p{Ll}"#,
        "upper": #"\p{Lu}"#,
        "punct": #"\p{P}$+<=>^`|~"#,
        "space": #"\s\p{Z}\x{85}"#,
        "word": #"\w\p{L}\p{M}\p{Nd}\p{Pc}"#,
    ]

    /// `(` openings: named groups get renamed names (their field recorded), named
    /// references are renamed, and Ruby's inline `m` flag (dot matches newline) becomes `s`.
    private mutating func rewriteGroupHead(_ t: [UInt8], _ i: Int, into out: inout [UInt8]) throws(GrokError) -> Int {
        let n = t.count
        guard i + 2 < n, t[i + 1] == UInt8(ascii: "?") else { out.append(t[i]); return i + 1 }
        let c = t[i + 2]
        // (?<name>  (?'name'  (?P<name>
        var nameStart: Int? = nil
        var close = UInt8(ascii: ">")
        if c == UInt8(ascii: "<"), i + 3 < n, t[i + 3] != UInt8(ascii: "="), t[i + 3] != UInt8(ascii: "!") {
            nameStart = i + 3
        } else if c == UInt8(ascii: "'") {
            nameStart = i + 3; close = UInt8(ascii: "'")
        } else if c == UInt8(ascii: "P"), i + 3 < n, t[i + 3] == UInt8(ascii: "<") {
            nameStart = i + 4
        }
        if let s = nameStart, let end = t[s...].firstIndex(of: close) {
            let name = String(decoding: t[s..<end], as: UTF8.self)
            guard !name.isEmpty else { throw GrokError("empty capture name in `\(String(decoding: t, as: UTF8.self))`") }
            let spec = CaptureSpec(groupName: nextGroupName(), fieldText: name, conversion: nil)
            captures.append(spec)
            rawNames[name] = spec.groupName
            out.append(contentsOf: "(?<\(spec.groupName)>".utf8)
            return end + 1
        }
        // (?P=name)  (?P>name)  (?&name)
        if c == UInt8(ascii: "&") || (c == UInt8(ascii: "P") && i + 3 < n && (t[i + 3] == UInt8(ascii: "=") || t[i + 3] == UInt8(ascii: ">"))) {
            let s = c == UInt8(ascii: "&") ? i + 3 : i + 4
            if let end = t[s...].firstIndex(of: UInt8(ascii: ")")),
               let renamed = rawNames[String(decoding: t[s..<end], as: UTF8.self)] {
                out.append(contentsOf: t[i..<s]); out.append(contentsOf: renamed.utf8)
                return end
            }
        }
        // (?(<name>)  (?('name')  (?(name)
        if c == UInt8(ascii: "(") {
            var s = i + 3
            if s < n, t[s] == UInt8(ascii: "<") || t[s] == UInt8(ascii: "'") { s += 1 }
            if let end = t[s...].firstIndex(where: { $0 == UInt8(ascii: ")") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "'") }),
               let renamed = rawNames[String(decoding: t[s..<end], as: UTF8.self)] {
                out.append(contentsOf: t[i..<s]); out.append(contentsOf: renamed.utf8)
                return end
            }
        }
        // (?imx-imx) and (?imx-imx: ... )
        var j = i + 2
        var flags: [UInt8] = []
        while j < n, Self.isFlag(t[j]) { flags.append(t[j]); j += 1 }
        if j < n, !flags.isEmpty, t[j] == UInt8(ascii: ")") || t[j] == UInt8(ascii: ":") {
            var mapped: [UInt8] = []
            for f in flags {
                switch f {
                case UInt8(ascii: "m"): mapped.append(UInt8(ascii: "s"))
                case UInt8(ascii: "a"), UInt8(ascii: "d"), UInt8(ascii: "u"): continue  // ASCII/Unicode switches: ASCII is our default
                default: mapped.append(f)
                }
            }
            if mapped.isEmpty || mapped == [UInt8(ascii: "-")] {
                // Nothing left to set: `(?u)` disappears, `(?u:...)` becomes a plain group.
                if t[j] == UInt8(ascii: ":") { out.append(contentsOf: "(?:".utf8) }
                return j + 1
            }
            out.append(contentsOf: "(?".utf8); out.append(contentsOf: mapped); out.append(t[j])
            return j + 1
        }
        out.append(contentsOf: t[i..<(i + 2)])
        return i + 2
    }

    private static func isFlag(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "i"), UInt8(ascii: "m"), UInt8(ascii: "x"), UInt8(ascii: "s"), UInt8(ascii: "a"),
             UInt8(ascii: "d"), UInt8(ascii: "u"), UInt8(ascii: "-"):
            return true
        default: return false
        }
    }
}

/// A parsed `%{NAME}`, `%{NAME:semantic}` or `%{NAME=definition}` at some offset.
struct GrokReference {
    var name: String
    var semantic: String?
    var definition: String?
    var end: Int

    /// Parses at `start` (which holds `%{`), or nil when the text is not a grok reference
    /// (it then stays literal text, as in Logstash).
    static func parse(_ t: [UInt8], _ start: Int) -> GrokReference? {
        let n = t.count
        var i = start + 2
        let nameStart = i
        while i < n, isNameByte(t[i]) { i += 1 }
        guard i > nameStart, i < n else { return nil }
        let name = String(decoding: t[nameStart..<i], as: UTF8.self)
        var semantic: String? = nil
        if t[i] == UInt8(ascii: ":") {
            let s = i + 1
            i = s
            while i < n, isSemanticByte(t[i]) { i += 1 }
            guard i > s, i < n else { return nil }
            semantic = String(decoding: t[s..<i], as: UTF8.self)
        }
        var definition: String? = nil
        if t[i] == UInt8(ascii: "=") {
            let s = i + 1
            i = s
            while i < n, t[i] != UInt8(ascii: "}"), t[i] != UInt8(ascii: "{") {
                i += t[i] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard i < n, i > s else { return nil }
            definition = String(decoding: t[s..<i], as: UTF8.self)
        }
        guard t[i] == UInt8(ascii: "}") else { return nil }
        return GrokReference(name: name, semantic: semantic, definition: definition, end: i + 1)
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    private static func isSemanticByte(_ b: UInt8) -> Bool {
        isNameByte(b) || b == UInt8(ascii: "@") || b == UInt8(ascii: "[") || b == UInt8(ascii: "]")
            || b == UInt8(ascii: ":") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
    }
}
