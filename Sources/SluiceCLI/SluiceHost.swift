import ArgumentParser
import SluiceCore
import StandardPlugins
import GrokPlugins
import Synchronization

/// Starts the Sluice command line. A custom plugin package calls this from its own
/// `main.swift`, registering its plugin types next to the built-in ones:
///
/// ```swift
/// import Sluice
/// await SluiceHost.main { registry in registry.register(MyFilter.self) }
/// ```
public enum SluiceHost {
    private static let extra = Mutex<[@Sendable (inout PluginRegistry) -> Void]>([])

    public static func main(registering: @escaping @Sendable (inout PluginRegistry) -> Void = { _ in }) async {
        extra.withLock { $0.append(registering) }
        await SluiceCommand.main()
    }

    /// Every plugin the host knows: the core codecs, the built-in families, then custom ones.
    public static func registry() -> PluginRegistry {
        var r = PluginRegistry()
        StandardPlugins.register(into: &r)
        GrokPlugins.register(into: &r)
        for f in extra.withLock({ $0 }) { f(&r) }
        return r
    }
}

struct SluiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Runs Logstash-syntax pipelines: inputs, filters, outputs.",
        version: SluiceVersion.string,
        subcommands: [Run.self, Check.self, PluginsCommand.self, SettingsCommand.self, QueueCommand.self, GrokCommand.self, VersionCommand.self],
        defaultSubcommand: Run.self)
}

enum SluiceVersion {
    static let string = "0.1.0"
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Prints the version.")
    func run() { print("sluice \(SluiceVersion.string)") }
}
