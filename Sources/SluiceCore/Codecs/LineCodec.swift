/// `line`: one event per line. Streams are cut at `delimiter`; the text is kept as it is
/// (a `\r` before `\n` stays, as in Logstash). Output is the `format` template (or the event's
/// text) followed by the delimiter.
public struct LineCodec: Codec {
    public static let pluginName = "line"
    public static let summary = "Reads one event per line; writes one line per event."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("charset", .oneOf(Charset.names), default: "UTF-8",
                    doc: "Character set of incoming text; it is converted to UTF-8."),
        SettingSpec("delimiter", .string, default: "\n", doc: "Text that ends each line, in and out."),
        SettingSpec("format", .template,
                    doc: "Sprintf template for output lines. Default: `@timestamp host message`."),
    ]

    let charset: Charset
    let delimiter: [UInt8]
    let format: Template?

    public init(settings: PluginSettings, context: PluginContext) throws { try self.init(settings: settings) }

    public init(settings: PluginSettings) throws {
        charset = Charset(name: settings.string("charset"))
        let d = Array((try settings.declaredString("delimiter")).utf8)
        delimiter = d.isEmpty ? [0x0A] : d
        format = settings.template("format")
    }

    public var framing: Framing { .delimited(delimiter) }

    /// Normally one line without its delimiter; a message holding several lines (from an
    /// input that does not frame) gives one event per line.
    public func decode(_ message: ArraySlice<UInt8>, into events: inout [Event]) {
        CodecSupport.forEachPiece(message, by: delimiter) { line in
            events.append(Event(message: charset.decode(line)))
        }
    }

    public func encode(_ event: Event, into buffer: inout [UInt8]) {
        if let format { format.render(event, into: &buffer) } else { event.appendLogstashText(to: &buffer) }
        buffer.append(contentsOf: delimiter)
    }

    public func encode(_ event: Event, into buffer: inout ByteBuffer) {
        if let format { format.render(event, into: &buffer) } else { event.appendLogstashText(to: &buffer) }
        buffer.append(delimiter)
    }
}
