#if canImport(Glibc)
import Glibc
#endif

/// Expands a file glob (`*`, `?`, `[...]`, `{a,b}`) into sorted paths.
enum Glob {
    static func expand(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, GLOB_BRACE | GLOB_NOSORT, nil, &g) == 0 else { return [] }
        var out: [String] = []
        for i in 0..<Int(g.gl_pathc) {
            if let p = g.gl_pathv[i] { out.append(String(cString: p)) }
        }
        return out.sorted()
    }
}
