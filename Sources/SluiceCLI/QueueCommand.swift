import ArgumentParser
import SluiceCore

struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Inspects or repairs a persistent queue.",
        subcommands: [Inspect.self, Repair.self])

    struct Location: ParsableArguments {
        @Option(name: [.customLong("path.queue")], help: "The queue directory (default: <path.data>/queue/<pipeline id>).")
        var pathQueue: String?
        @Option(name: [.customLong("path.data")], help: "Sluice's data directory (default ./data).")
        var pathData: String = "data"
        @Option(name: [.customLong("pipeline.id")], help: "Pipeline id (default main).")
        var pipelineId: String = "main"

        var directory: String { pathQueue ?? "\(pathData)/queue/\(pipelineId)" }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Prints pages, head, tail and unacknowledged counts.")
        @OptionGroup var location: Location
        func run() { print(QueueTools.describe(directory: location.directory), terminator: "") }
    }

    struct Repair: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cuts torn or corrupt records and rewrites the checkpoint; says what it dropped.")
        @OptionGroup var location: Location
        func run() throws {
            for line in try QueueTools.repair(directory: location.directory) { print(line) }
        }
    }
}
