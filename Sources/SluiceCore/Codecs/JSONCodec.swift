/// `json`: each message is one JSON document. An object becomes an event, an array of
/// objects one event each; anything else becomes an event with the raw text in `message`
/// tagged `_jsonparsefailure`. Output is compact JSON without `@metadata` and no newline.
public struct JSONCodec: Codec {
    public static let pluginName = "json"
    public static let summary = "Reads and writes one JSON document per message."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("charset", .oneOf(Charset.names), default: "UTF-8",
                    doc: "Character set of incoming JSON; it is converted to UTF-8."),
        SettingSpec("target", .fieldReference,
                    doc: "Field to put the decoded object under; default: the event's top level."),
    ]

    let charset: Charset
    let target: FieldReference?
    let logger: Logger

    public init(settings: PluginSettings, context: PluginContext) throws {
        self.init(settings: settings, logger: context.logger)
    }

    public init(settings: PluginSettings, logger: Logger? = nil) {
        charset = Charset(name: settings.string("charset"))
        target = settings.fieldReference("target")
        self.logger = logger ?? CodecSupport.silentLogger
    }

    public var framing: Framing { .message }

    public func decode(_ message: ArraySlice<UInt8>, into events: inout [Event]) {
        CodecSupport.decodeJSON(message, charset: charset, target: target, logger: logger, into: &events)
    }

    public func encode(_ event: Event, into buffer: inout [UInt8]) {
        JSON.encode(event: event, into: &buffer)
    }

    public func encode(_ event: Event, into buffer: inout ByteBuffer) {
        JSON.encode(event: event, into: &buffer)
    }
}
