import ArgumentParser
import SluiceCore

/// `sluice settings`: the pipeline settings table (`PipelineSettingSpecs`), as text or as the
/// markdown of docs/SETTINGS.md.
struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings", abstract: "Lists the pipeline settings of sluice.yml and their flags.")

    @Option(help: "Output format: text or markdown.")
    var format: String = "text"

    func validate() throws {
        guard format == "text" || format == "markdown" else { throw ValidationError("--format must be text or markdown") }
    }

    func run() {
        if format == "markdown" {
            print("| setting | flag | type | default | description |")
            print("| --- | --- | --- | --- | --- |")
            for s in PipelineSettingSpecs.all {
                let flag = SettingFlags.shown(s.key).map { "`\($0)`" } ?? ""
                let d = s.defaultValue.map { "`\($0)`" } ?? s.defaultNote?.replacingAngleBrackets() ?? ""
                print("| `\(s.key)` | \(flag) | \(s.type) | \(d) | \(s.doc) |")
            }
            return
        }
        for s in PipelineSettingSpecs.all {
            var line = "\(s.key.padding(to: 34))\(s.type)"
            if !s.defaultDescription.isEmpty { line += ", default \(s.defaultDescription)" }
            if let flag = SettingFlags.shown(s.key) { line += "  [\(flag)]" }
            print(line)
            print("    \(s.doc)")
        }
    }
}

extension String {
    /// `<path.data>` would be read as an HTML tag in markdown.
    func replacingAngleBrackets() -> String {
        var out = ""
        for c in self {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(c)
            }
        }
        return out
    }
}
