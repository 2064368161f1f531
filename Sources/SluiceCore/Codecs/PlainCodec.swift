/// `plain`: each message is one event's `message`; output is the `format` template or the
/// event's text (`@timestamp host message`), with nothing appended.
public struct PlainCodec: Codec {
    public static let pluginName = "plain"
    public static let summary = "Reads each message as the `message` of one event; writes plain text."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("charset", .oneOf(Charset.names), default: "UTF-8",
                    doc: "Character set of incoming text; it is converted to UTF-8."),
        SettingSpec("format", .template,
                    doc: "Sprintf template for output, e.g. `%{message}`. Default: `@timestamp host message`."),
    ]

    let charset: Charset
    let format: Template?

    public init(settings: PluginSettings, context: PluginContext) throws { self.init(settings: settings) }

    public init(settings: PluginSettings) {
        charset = Charset(name: settings.string("charset"))
        format = settings.template("format")
    }

    public var framing: Framing { .message }

    public func decode(_ message: ArraySlice<UInt8>, into events: inout [Event]) {
        events.append(Event(message: charset.decode(message)))
    }

    public func encode(_ event: Event, into buffer: inout [UInt8]) {
        if let format { format.render(event, into: &buffer) } else { event.appendLogstashText(to: &buffer) }
    }
}
