#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file-system calls config loading needs, on libc (no Foundation at start-up).
enum ConfigFiles {
    enum Kind { case missing, file, directory, other }

    static func kind(of path: String) -> Kind {
        var st = stat()
        guard stat(path, &st) == 0 else { return .missing }
        switch st.st_mode & mode_t(S_IFMT) {
        case mode_t(S_IFREG): return .file
        case mode_t(S_IFDIR): return .directory
        default: return .other
        }
    }

    static func isGlob(_ path: String) -> Bool {
        path.utf8.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") }
    }

    /// Paths matching a shell pattern (`*`, `?`, `[...]`), sorted bytewise.
    static func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc_glob(pattern, &g) == 0 else { return [] }
        var out: [String] = []
        for i in 0..<Int(g.gl_pathc) {
            if let p = g.gl_pathv[i] { out.append(String(cString: p)) }
        }
        return out.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Escapes glob metacharacters so that `path` matches only itself.
    static func escapeGlob(_ path: String) -> String {
        var out = ""
        for c in path {
            if c == "*" || c == "?" || c == "[" || c == "]" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// The whole file as UTF-8 text (invalid bytes replaced).
    static func readText(_ path: String) throws(ConfigError) -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ConfigError(message: "cannot read config file `\(path)`: \(errnoText())") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ConfigError(message: "cannot read config file `\(path)`: \(errnoText())")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func errnoText() -> String {
        guard let s = strerror(errno) else { return "error \(errno)" }
        return String(cString: s)
    }
}

/// `glob(3)` under another name: inside `ConfigFiles` the name `glob` is the static method.
private func Glibc_glob(_ pattern: String, _ g: inout glob_t) -> Int32 {
    glob(pattern, 0, nil, &g)
}
