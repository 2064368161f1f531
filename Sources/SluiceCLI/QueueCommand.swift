import ArgumentParser
import SluiceCore

struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Inspects or repairs a persistent queue.",
        subcommands: [Inspect.self, Repair.self])

    /// Where the queue is: as `run` finds it, from sluice.yml (`--path.settings`) and the
    /// flags, so the same settings that wrote a queue find it again.
    struct Location: ParsableArguments {
        @Option(name: [.customLong("path.settings")], help: "Directory holding sluice.yml (or the file itself).")
        var pathSettings: String?
        @Option(name: SettingFlags.names("path.queue"), help: settingHelp("path.queue"))
        var pathQueue: String?
        @Option(name: SettingFlags.names("path.data"), help: settingHelp("path.data"))
        var pathData: String?
        @Option(name: SettingFlags.names("pipeline.id"), help: settingHelp("pipeline.id"))
        var pipelineId: String?

        func directory() throws -> String {
            do {
                return try SettingsSources.load(pathSettings: pathSettings, flags: [
                    ("path.data", pathData), ("pipeline.id", pipelineId), ("path.queue", pathQueue),
                ]).queueDirectory
            } catch {
                throw UserError.exit(error)
            }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Prints pages, head, tail and unacknowledged counts.")
        @OptionGroup var location: Location
        func run() throws { print(QueueTools.describe(directory: try location.directory()), terminator: "") }
    }

    struct Repair: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cuts torn or corrupt records and rewrites the checkpoint; says what it dropped.")
        @OptionGroup var location: Location
        func run() throws {
            for line in try QueueTools.repair(directory: location.directory()) { print(line) }
        }
    }
}
