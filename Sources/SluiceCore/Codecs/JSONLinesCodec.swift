import Synchronization

/// `json_lines`: newline-delimited JSON. Each line decodes as the `json` codec decodes a
/// message (blank lines are skipped, and counted in a debug log line); each event is written as
/// compact JSON plus the delimiter.
public struct JSONLinesCodec: Codec {
    public static let pluginName = "json_lines"
    public static let summary = "Reads and writes one JSON document per line."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("charset", .oneOf(Charset.names), default: "UTF-8",
                    doc: "Character set of incoming JSON; it is converted to UTF-8."),
        SettingSpec("delimiter", .string, default: "\n", doc: "Text that ends each JSON document, in and out."),
        SettingSpec("target", .fieldReference,
                    doc: "Field to put the decoded object under; default: the event's top level."),
    ]

    let charset: Charset
    let delimiter: [UInt8]
    let target: FieldReference?
    let logger: Logger
    private let blankLines = BlankLineCount()

    public init(settings: PluginSettings, context: PluginContext) throws {
        try self.init(settings: settings, logger: context.logger)
    }

    public init(settings: PluginSettings, logger: Logger? = nil) throws {
        charset = Charset(name: settings.string("charset"))
        let d = Array((try settings.declaredString("delimiter")).utf8)
        delimiter = d.isEmpty ? [0x0A] : d
        target = settings.fieldReference("target")
        self.logger = logger ?? CodecSupport.silentLogger
    }

    public var framing: Framing { .delimited(delimiter) }

    public func decode(_ message: ArraySlice<UInt8>, into events: inout [Event]) {
        CodecSupport.forEachPiece(message, by: delimiter) { line in
            if !CodecSupport.decodeJSON(line, charset: charset, target: target, logger: logger, into: &events) {
                let n = blankLines.add()
                logger.debug("json_lines: skipped a blank line", metadata: ["blank_lines_skipped": "\(n)"])
            }
        }
    }

    public func encode(_ event: Event, into buffer: inout [UInt8]) {
        JSON.encode(event: event, into: &buffer)
        buffer.append(contentsOf: delimiter)
    }

    public func encode(_ event: Event, into buffer: inout ByteBuffer) {
        JSON.encode(event: event, into: &buffer)
        buffer.append(delimiter)
    }
}

/// Blank lines skipped by one `json_lines` codec, for its debug log.
final class BlankLineCount: Sendable {
    private let n = Atomic<Int>(0)
    func add() -> Int { n.add(1, ordering: .relaxed).newValue }
}
