import ArgumentParser
import SluiceCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A plugin family's registration, e.g. `StandardPlugins.register`.
public typealias PluginFamily = @Sendable (inout PluginRegistry) -> Void

/// Starts the Sluice command line with the plugin families it is given. The `sluice`
/// executable passes every built-in family; a custom plugin package passes the families it
/// chose plus its own plugin types:
///
/// ```swift
/// import Sluice            // SluiceCLI
/// import StandardPlugins
/// await SluiceHost.main(families: [StandardPlugins.register]) { registry in
///     registry.register(MyFilter.self)
/// }
/// ```
public enum SluiceHost {
    private static let families = Mutex<[PluginFamily]>([])

    public static func main(families: [PluginFamily], registering: @escaping PluginFamily = { _ in }) async {
        // A closed stdout or socket is an EPIPE error for the writer to handle (the stdout
        // output stops the pipeline cleanly), not a signal that kills the process.
        signal(SIGPIPE, SIG_IGN)
        Self.families.withLock { $0 = families + [registering] }
        await SluiceCommand.main()
    }

    /// Every plugin the host knows: the core codecs, then the families `main` was given.
    public static func registry() -> PluginRegistry { registry(families: families.withLock { $0 }) }

    /// The core codecs, then `families` in order (for tests that build the binary's registry).
    public static func registry(families: [PluginFamily]) -> PluginRegistry {
        var r = PluginRegistry()
        for register in families { register(&r) }
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
