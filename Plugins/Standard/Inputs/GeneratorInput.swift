import SluiceCore

/// Generates test events, like Logstash's generator input: `message` (or each of `lines`
/// in turn) `count` times, or forever when `count` is 0.
public final class GeneratorInput: InputPlugin {
    public static let pluginName = "generator"
    public static let summary = "Generates events with a fixed message, for testing and benchmarks."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("message", .string, default: "Hello world!", doc: "The message of each event."),
        SettingSpec("lines", .array, doc: "Messages emitted in turn; overrides `message`."),
        SettingSpec("count", .number, default: 0, doc: "How many times to emit the message(s); 0 means forever."),
        SettingSpec("threads", .number, default: 1, doc: "Accepted for compatibility; one generator runs."),
        SettingSpec("codec", .codec, default: "plain", doc: "Codec that decodes each message."),
        SettingSpec("ecs_compatibility", .oneOf(["disabled", "v1", "v8"]), default: "disabled",
                    doc: "`disabled`: `host` and `sequence` fields; `v1`/`v8`: `[host][name]` and `[event][sequence]`."),
    ]

    let lines: [String]
    let count: Int
    let codec: (any Codec)?
    let ecs: Bool
    let batchSize: Int

    public init(settings: PluginSettings, context: PluginContext) throws {
        let l = settings.strings("lines")
        lines = l.isEmpty ? [try settings.declaredString("message")] : l
        count = try settings.declaredInt("count")
        guard count >= 0 else { throw settings.error("count", "must be 0 or more") }
        let codecName = settings.codec.map { type(of: $0).pluginName }
        codec = codecName == "plain" ? nil : settings.codec  // plain needs no decode step
        ecs = settings.string("ecs_compatibility") != "disabled"
        batchSize = context.pipeline.batchSize
    }

    public func run(into sink: EventSink) async throws {
        let hostRef = try FieldReference(parsing: ecs ? "[host][name]" : "host")
        let seqRef = try FieldReference(parsing: ecs ? "[event][sequence]" : "sequence")
        // Every field the events carry is in the template, so each event is one copy plus
        // in-place value updates (no growth of its field storage).
        var template = Event()
        template.fields.set("message", .string(""))
        template.set(hostRef, .string(Host.name))
        template.set(seqRef, .int(0))
        let messageAt = template.fields.position(of: "message") ?? 0
        let seqAt = ecs ? nil : template.fields.position(of: "sequence")
        var sequence: Int64 = 0
        let total = count == 0 ? Int64.max : Int64(count) * Int64(lines.count)
        var chunk: [Event] = []
        chunk.reserveCapacity(batchSize)
        while sequence < total {
            try Task.checkCancellation()
            let line = lines[Int(sequence % Int64(lines.count))]
            if let codec {
                var decoded: [Event] = []
                codec.decode(ArraySlice(line.utf8), into: &decoded)
                for var e in decoded {
                    e.set(hostRef, .string(Host.name))
                    e.set(seqRef, .int(sequence))
                    chunk.append(e)
                }
            } else {
                var e = template
                e.fields.setValue(.timestamp(.now()), at: 0)
                e.fields.setValue(.string(line), at: messageAt)
                if let seqAt { e.fields.setValue(.int(sequence), at: seqAt) } else { e.set(seqRef, .int(sequence)) }
                chunk.append(e)
            }
            sequence += 1
            if chunk.count >= batchSize {
                try await sink.send(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty { try await sink.send(chunk) }
    }
}
