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

    @Option(name: [.customShort("w"), .customLong("pipeline.workers"), .customLong("workers")],
            help: "Worker count (default: cores).")
    var workers: Int?

    @Option(name: [.customShort("b"), .customLong("pipeline.batch.size"), .customLong("batch-size")],
            help: "Events per batch (default 125).")
    var batchSize: Int?

    @Option(name: [.customShort("u"), .customLong("pipeline.batch.delay")],
            help: "Milliseconds to wait for a batch to fill (default 50).")
    var batchDelay: Int?

    @Option(name: [.customLong("pipeline.ordered")],
            help: "auto (ordered with one worker), true (refuse more than one worker), false.")
    var ordered: String?

    @Option(name: [.customLong("path.data")], help: "Where plugins keep state (default ./data).")
    var pathData: String?

    @Option(name: [.customLong("path.settings")], help: "Directory holding sluice.yml.")
    var pathSettings: String?

    @Option(name: [.customLong("log.level"), .customLong("log-level")],
            help: "trace, debug, info, warn, error (default info).")
    var logLevel: String?

    /// Merges sluice.yml (if any) with the command-line flags, flags winning.
    func pipelineSettings() throws -> (PipelineSettings, Logger.Level) {
        var s = PipelineSettings()
        var level = Logger.Level.info
        if let dir = pathSettings {
            let file = SettingsFile(path: dir.hasSuffix(".yml") ? dir : dir + "/sluice.yml")
            try file.apply(to: &s, logLevel: &level)
        }
        if let workers { s.workers = max(1, workers) }
        if let batchSize { s.batchSize = max(1, batchSize) }
        if let batchDelay { s.batchDelay = .milliseconds(max(0, batchDelay)) }
        if let pathData { s.pathData = pathData }
        if let ordered {
            guard ["auto", "true", "false"].contains(ordered) else {
                throw ValidationError("--pipeline.ordered must be auto, true or false")
            }
            s.ordered = ordered
        }
        // As Logstash: ordering is kept by a single worker, so `true` refuses several.
        if s.ordered == "true" && s.workers > 1 {
            throw ValidationError("pipeline.ordered is true but pipeline.workers is \(s.workers); ordering needs exactly one worker")
        }
        if let logLevel {
            guard let l = SettingsFile.level(logLevel) else {
                throw ValidationError("--log.level must be one of trace, debug, info, warn, error")
            }
            level = l
        }
        return (s, level)
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
