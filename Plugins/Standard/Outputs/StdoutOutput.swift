import SluiceCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes events to standard output with a codec (rubydebug by default).
public final class StdoutOutput: OutputPlugin {
    public static let pluginName = "stdout"
    public static let summary = "Writes events to standard output."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("codec", .codec, default: "rubydebug", doc: "Codec that formats each event."),
    ]

    let codec: any Codec
    /// Held while writing, so batches from different workers don't interleave; true once the
    /// reader of stdout went away (EPIPE), after which nothing is written.
    private let closed = Mutex(false)

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
        // One write per batch. The host ignores SIGPIPE, so a closed stdout is EPIPE here.
        let failure: IOError? = closed.withLock { closed in
            if closed { return IOError("write", path: "stdout", code: EPIPE) }
            do throws(IOError) { try FileIO.writeAll(1, buffer, path: "stdout") } catch {
                if error.code == EPIPE { closed = true }
                return error
            }
            return nil
        }
        guard let failure else { return .delivered }
        if failure.code == EPIPE {
            // `sluice ... | head -1`: nothing more can be written. The pipeline stops; this
            // batch was not (wholly) written, so it is not acknowledged.
            throw PluginError("stdout was closed by its reader", retriable: false, code: .closed)
        }
        throw PluginError("\(failure)", retriable: true, code: .io)
    }
}
