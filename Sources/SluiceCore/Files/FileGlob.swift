#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shell-style file patterns: the one glob of Sluice (config files, the file input,
/// pattern directories, and whatever else picks up files by pattern).
public enum FileGlob {
    /// Paths matching `pattern` (`*`, `?`, `[...]`, `{a,b}`), sorted bytewise; none if
    /// nothing matches or the pattern cannot be read.
    public static func expand(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard libcGlob(pattern, &g) == 0 else { return [] }
        var out: [String] = []
        out.reserveCapacity(Int(g.gl_pathc))
        for i in 0..<Int(g.gl_pathc) {
            if let p = g.gl_pathv[i] { out.append(String(cString: p)) }
        }
        return out.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Whether `path` contains a glob metacharacter.
    public static func isPattern(_ path: String) -> Bool {
        path.utf8.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "{") }
    }

    /// Escapes glob metacharacters so that `path` matches only itself (e.g. a directory
    /// to which `/*` is appended).
    public static func escape(_ path: String) -> String {
        var out = ""
        for c in path {
            if c == "*" || c == "?" || c == "[" || c == "]" || c == "{" || c == "}" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}

/// `glob(3)` under another name: inside `FileGlob` the name `glob` would be ambiguous.
/// Unsorted (we sort bytewise, independent of the locale), with `{a,b}` alternatives.
private func libcGlob(_ pattern: String, _ g: inout glob_t) -> Int32 {
    glob(pattern, GLOB_BRACE | GLOB_NOSORT, nil, &g)
}
