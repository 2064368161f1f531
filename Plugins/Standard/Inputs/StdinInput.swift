import SluiceCore

/// Reads events from standard input; ends at EOF, so `sluice -e '...' < file` is a batch job.
public final class StdinInput: InputPlugin {
    public static let pluginName = "stdin"
    public static let summary = "Reads events from standard input."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("codec", .codec, default: "line", doc: "Codec for the input; `line` splits on newlines."),
        SettingSpec("ecs_compatibility", .oneOf(["disabled", "v1", "v8"]), default: "disabled",
                    doc: "`disabled`: a `host` field; `v1`/`v8`: `[host][hostname]`."),
    ]

    let codec: any Codec
    let hostRef: FieldReference
    let batchSize: Int
    let fd: Int32

    public init(settings: PluginSettings, context: PluginContext) throws {
        guard let c = settings.codec else { throw settings.error("codec", "no codec") }
        codec = c
        hostRef = try FieldReference(parsing: settings.string("ecs_compatibility") == "disabled" ? "host" : "[host][hostname]")
        batchSize = context.pipeline.batchSize
        fd = 0
    }

    public func run(into sink: EventSink) async throws {
        var framer: LineFramer? = nil
        if case .delimited(let d) = codec.framing { framer = LineFramer(delimiter: d) }
        var events: [Event] = []
        let host = Value.string(Host.name)
        func decode(_ message: ArraySlice<UInt8>) {
            let start = events.count
            codec.decode(message, into: &events)
            for i in start..<events.count where !events[i].contains(hostRef) { events[i].set(hostRef, host) }
        }
        while true {
            switch await BlockingRead.read(fd) {
            case .data(let bytes):
                if var lines = framer {
                    let region = bytes.withUnsafeBytes { lines.completeLines(appending: $0) }
                    framer = lines
                    region.withUnsafeBufferPointer { buf in
                        lines.forEachLine(in: buf, includingFinal: false) { line, _ in decode(region[line]) }
                    }
                } else {
                    decode(bytes[...])
                }
                if !events.isEmpty {
                    try await sink.send(events)
                    events.removeAll(keepingCapacity: true)
                }
            case .eof:
                if var lines = framer {
                    let rest = lines.takePending()
                    if !rest.isEmpty { decode(rest[...]) }
                }
                if !events.isEmpty { try await sink.send(events) }
                return
            case .cancelled:
                return
            case .failed(let e):
                throw e
            }
        }
    }
}
