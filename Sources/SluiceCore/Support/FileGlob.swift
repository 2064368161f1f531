extension FileIO {
    /// Paths matching a shell pattern (`*`, `?`, `[...]`), sorted bytewise.
    public static func glob(_ pattern: String) -> [String] { ConfigFiles.glob(pattern) }

    /// Escapes glob metacharacters so that `path` matches only itself.
    public static func escapeGlob(_ path: String) -> String { ConfigFiles.escapeGlob(path) }

    public static func isDirectory(_ path: String) -> Bool { ConfigFiles.kind(of: path) == .directory }

    public static func isRegularFile(_ path: String) -> Bool { ConfigFiles.kind(of: path) == .file }
}
