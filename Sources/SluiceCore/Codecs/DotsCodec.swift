/// `dots`: writes one `.` per event, a progress display. Decoding is not a thing in Logstash;
/// here it reads messages as `plain` does, so a misplaced `dots` loses nothing.
public struct DotsCodec: Codec {
    public static let pluginName = "dots"
    public static let summary = "Writes one `.` per event."
    public static let settingSpecs: [SettingSpec] = []

    public init(settings: PluginSettings, context: PluginContext) throws {}
    public init() {}

    public var framing: Framing { .message }

    public func decode(_ message: ArraySlice<UInt8>, into events: inout [Event]) {
        events.append(Event(message: String(decoding: message, as: UTF8.self)))
    }

    public func encode(_ event: Event, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "."))
    }
}
