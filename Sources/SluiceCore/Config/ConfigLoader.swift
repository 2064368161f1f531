/// Reads pipeline configuration from `-e` strings and `-f` paths.
///
/// A path is a file, a directory (its regular files, sorted by name; hidden files
/// skipped as Ruby's `Dir.glob` does) or a glob. Each file is parsed on its own and the
/// sections are combined in file order: all inputs, filters chained, outputs gathered.
public enum ConfigLoader {
    /// Parses a configuration string (`-e`); diagnostics name it `name`.
    public static func load(string: String, name: String = "config string", supportEscapes: Bool = false,
                            environment: [String: String]? = nil) throws(ConfigErrors) -> PipelineConfig {
        let options = ParseOptions(supportEscapes: supportEscapes, environment: environment)
        return try ConfigParser.parse(SourceFile(name: name, text: string), options: options)
    }

    /// Reads and parses every file `path` names, collecting the problems of all of them.
    public static func load(path: String, supportEscapes: Bool = false,
                            environment: [String: String]? = nil) throws(ConfigErrors) -> PipelineConfig {
        let options = ParseOptions(supportEscapes: supportEscapes, environment: environment)
        let files: [String]
        do { files = try resolve(path: path) } catch { throw ConfigErrors(error) }
        var config = PipelineConfig(hasInputs: false, hasOutputs: false)
        var errors: [ConfigError] = []
        for file in files {
            do {
                let text = try ConfigFiles.readText(file)
                config.append(try ConfigParser.parse(SourceFile(name: file, text: text), options: options))
            } catch let e as ConfigErrors {
                errors += e.errors
            } catch let e as ConfigError {
                errors.append(e)
            } catch {
                errors.append(ConfigError(message: "\(error)"))
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return config
    }

    /// The files `path` stands for, in load order. Nothing found is an error naming the path.
    public static func resolve(path: String) throws(ConfigError) -> [String] {
        if FileGlob.isPattern(path), ConfigFiles.kind(of: path) == .missing {
            let files = FileGlob.expand(path).filter { ConfigFiles.kind(of: $0) == .file }
            guard !files.isEmpty else { throw ConfigError(message: "no config files match `\(path)`") }
            return files
        }
        switch ConfigFiles.kind(of: path) {
        case .file:
            return [path]
        case .directory:
            let dir = path.hasSuffix("/") ? String(path.dropLast()) : path
            let files = FileGlob.expand(FileGlob.escape(dir) + "/*").filter { ConfigFiles.kind(of: $0) == .file }
            guard !files.isEmpty else { throw ConfigError(message: "no config files found in directory `\(path)`") }
            return files
        case .missing:
            throw ConfigError(message: "config path `\(path)` does not exist")
        case .other:
            throw ConfigError(message: "config path `\(path)` is not a regular file or directory")
        }
    }
}
