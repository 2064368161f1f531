import ArgumentParser
import SluiceCore

struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "Lists plugins, or shows one plugin's settings.")

    @Argument(help: "A plugin name, e.g. `mutate`.")
    var name: String?

    @Option(help: "Output format for settings: text or markdown.")
    var format: String = "text"

    func run() throws {
        let registry = SluiceHost.registry()
        guard let name else {
            for kind in PluginKind.allCases {
                print("\(kind.rawValue)s:")
                for n in registry.names(kind) {
                    let summary = registry.describe(kind, n)?.summary ?? ""
                    print("  \(n.padding(to: 22))\(summary)")
                }
            }
            return
        }
        let kinds = PluginKind.allCases.filter { registry.describe($0, name) != nil }
        guard !kinds.isEmpty else {
            let all = PluginKind.allCases.flatMap { registry.names($0) }
            var msg = "no plugin named `\(name)`"
            if let near = Suggest.closest(to: name, in: all) { msg += "; did you mean `\(near)`?" }
            throw ValidationError(msg)
        }
        for kind in kinds {
            guard let t = registry.describe(kind, name), let specs = registry.settingSpecs(kind, name) else { continue }
            if format == "markdown" {
                print("### \(name) (\(kind.rawValue))\n\n\(t.summary)\n")
                if specs.isEmpty { print("No settings.\n"); continue }
                print("| setting | type | default | required | description |")
                print("| --- | --- | --- | --- | --- |")
                for s in specs {
                    print("| `\(s.name)` | \(s.type) | \(shownDefault(s).map { "`\($0)`" } ?? "") | \(s.required ? "yes" : "") | \(s.doc) |")
                }
                print("")
            } else {
                print("\(name) (\(kind.rawValue)): \(t.summary)\n")
                for s in specs {
                    var line = "  \(s.name.padding(to: 26)) \(s.type)"
                    if s.required { line += ", required" }
                    if let d = shownDefault(s) { line += ", default \(d)" }
                    if let dep = s.deprecated { line += " (deprecated: \(dep))" }
                    print(line)
                    print("      \(s.doc)")
                }
                print("")
            }
        }
    }

    /// A setting's default as shown; a secret's default is never shown.
    private func shownDefault(_ s: SettingSpec) -> String? {
        guard let d = s.defaultValue else { return nil }
        return s.type == .password ? Secrets.redacted : show(d)
    }

    private func show(_ v: Value) -> String {
        switch v {
        case .string(let s): return "\"\(s)\""
        default: return JSON.encodeToString(v)
        }
    }
}

extension String {
    func padding(to n: Int) -> String { count >= n ? self + " " : self + String(repeating: " ", count: n - count) }
}
