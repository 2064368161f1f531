import ArgumentParser
import SluiceCore

/// Options shared by `run` and `check`, with Logstash's flag names.
struct PipelineOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .customLong("path.config")],
            help: "Pipeline file, directory or glob.")
    var pathConfig: String?

    @Option(name: [.customShort("e"), .customLong("config.string")],
            help: "Pipeline as a string; stdin/stdout are used when it has no input/output.")
    var configString: String?

    // Pipeline settings as flags: values are strings checked by `PipelineSettingSpecs`, so a
    // bad value gets the message sluice.yml would give; help text comes from the table.
    // `.unconditional` takes the next word even when it starts with a dash, so `-w -1` reaches
    // the table ("must be at least 1") instead of failing as a missing value.
    @Option(name: SettingFlags.names("pipeline.workers"), parsing: .unconditional, help: settingHelp("pipeline.workers"))
    var workers: String?

    @Option(name: SettingFlags.names("pipeline.batch.size"), parsing: .unconditional, help: settingHelp("pipeline.batch.size"))
    var batchSize: String?

    @Option(name: SettingFlags.names("pipeline.batch.delay"), parsing: .unconditional, help: settingHelp("pipeline.batch.delay"))
    var batchDelay: String?

    @Option(name: SettingFlags.names("pipeline.ordered"), parsing: .unconditional, help: settingHelp("pipeline.ordered"))
    var ordered: String?

    @Option(name: SettingFlags.names("pipeline.id"), parsing: .unconditional, help: settingHelp("pipeline.id"))
    var pipelineId: String?

    @Option(name: SettingFlags.names("pipeline.shutdown_timeout"), parsing: .unconditional, help: settingHelp("pipeline.shutdown_timeout"))
    var shutdownTimeout: String?

    @Option(name: SettingFlags.names("pipeline.ecs_compatibility"), parsing: .unconditional, help: settingHelp("pipeline.ecs_compatibility"))
    var ecsCompatibility: String?

    @Option(name: SettingFlags.names("path.data"), parsing: .unconditional, help: settingHelp("path.data"))
    var pathData: String?

    @Option(name: SettingFlags.names("path.queue"), parsing: .unconditional, help: settingHelp("path.queue"))
    var pathQueue: String?

    @Option(name: [.customLong("path.settings")], help: "Directory holding sluice.yml (or the file itself).")
    var pathSettings: String?

    @Option(name: SettingFlags.names("log.level"), parsing: .unconditional, help: settingHelp("log.level"))
    var logLevel: String?

    /// Merges sluice.yml (if any) with the command-line flags, flags winning.
    func pipelineSettings() throws -> PipelineSettings {
        try SettingsSources.load(pathSettings: pathSettings, flags: [
            ("pipeline.workers", workers), ("pipeline.batch.size", batchSize), ("pipeline.batch.delay", batchDelay),
            ("pipeline.ordered", ordered), ("pipeline.id", pipelineId), ("pipeline.shutdown_timeout", shutdownTimeout),
            ("pipeline.ecs_compatibility", ecsCompatibility), ("path.data", pathData), ("path.queue", pathQueue),
            ("log.level", logLevel),
        ])
    }

    /// Reads and parses the pipeline, applying `-e` defaults.
    func loadConfig(settings: PipelineSettings) throws -> PipelineConfig {
        switch (pathConfig, configString) {
        case (nil, nil):
            throw ValidationError("give a pipeline with -f PATH or -e 'CONFIG'")
        case (.some, .some):
            throw ValidationError("-f and -e cannot be used together")
        case (let path?, nil):
            return try ConfigLoader.load(path: path, supportEscapes: settings.supportEscapes)
        case (nil, let text?):
            var config = try ConfigLoader.load(string: text, supportEscapes: settings.supportEscapes)
            // As `logstash -e`: stdin and stdout when the string names none.
            if !config.hasInputs || !config.hasOutputs {
                var extra = ""
                if !config.hasInputs { extra += "input { stdin { } }\n" }
                if !config.hasOutputs { extra += "output { stdout { codec => rubydebug } }\n" }
                let defaults = try ConfigLoader.load(string: extra, supportEscapes: false)
                config.inputs += defaults.inputs
                config.outputs += defaults.outputs
            }
            return config
        }
    }
}

/// The command-line flags that set a pipeline setting: Logstash's `--key` long name, plus a
/// short name and older aliases where they exist. Used for the options and by `sluice settings`.
struct SettingFlags {
    let key: String
    let short: Character?
    let aliases: [String]

    static let all: [SettingFlags] = [
        SettingFlags(key: "pipeline.workers", short: "w", aliases: ["workers"]),
        SettingFlags(key: "pipeline.batch.size", short: "b", aliases: ["batch-size"]),
        SettingFlags(key: "pipeline.batch.delay", short: "u", aliases: []),
        SettingFlags(key: "pipeline.ordered", short: nil, aliases: []),
        SettingFlags(key: "pipeline.id", short: nil, aliases: []),
        SettingFlags(key: "pipeline.shutdown_timeout", short: nil, aliases: []),
        SettingFlags(key: "pipeline.ecs_compatibility", short: nil, aliases: []),
        SettingFlags(key: "path.data", short: nil, aliases: []),
        SettingFlags(key: "path.queue", short: nil, aliases: []),
        SettingFlags(key: "log.level", short: nil, aliases: ["log-level"]),
    ]

    static func names(_ key: String) -> NameSpecification {
        let flag = all.first { $0.key == key }
        var names: [NameSpecification.Element] = flag?.short.map { [.customShort($0)] } ?? []
        names += ([key] + (flag?.aliases ?? [])).map { .customLong($0) }
        return NameSpecification(names)
    }

    /// As shown in help and docs: `-w, --pipeline.workers`.
    static func shown(_ key: String) -> String? {
        guard let flag = all.first(where: { $0.key == key }) else { return nil }
        return (flag.short.map { "-\($0), " } ?? "") + "--\(key)"
    }
}

/// A flag's help: the setting's one-line doc and default, from the table.
func settingHelp(_ key: String) -> ArgumentHelp {
    guard let spec = PipelineSettingSpecs.spec(key) else { return ArgumentHelp(key) }
    let d = spec.defaultDescription
    return ArgumentHelp("\(spec.doc) (\(spec.type)" + (d.isEmpty ? "" : "; default \(d)") + ")")
}
