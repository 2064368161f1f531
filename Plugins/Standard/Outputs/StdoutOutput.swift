import SluiceCore
import Synchronization

/// Writes events to standard output with a codec (rubydebug by default).
public final class StdoutOutput: OutputPlugin {
    public static let pluginName = "stdout"
    public static let summary = "Writes events to standard output."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("codec", .codec, default: "rubydebug", doc: "Codec that formats each event."),
    ]

    let codec: any Codec
    private let lock = Mutex(())

    public init(settings: PluginSettings, context: PluginContext) throws {
        guard let c = settings.codec else { throw settings.error("codec", "no codec") }
        codec = c
    }

    public func write(_ events: [Event]) async throws -> WriteOutcome {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(events.count * 128)
        for e in events {
            codec.encode(e, into: &buffer)
        }
        // One write per batch, under a lock so batches from different workers don't interleave.
        try lock.withLock { _ throws(IOError) in try FileIO.writeAll(1, buffer, path: "stdout") }
        return .delivered
    }
}
