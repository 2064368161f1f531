/// `rubydebug`: prints each event as Logstash's stdout does by default, in the layout of
/// Ruby's amazing_print:
///
///     {
///           "message" => "hello",
///        "@timestamp" => 2026-11-20T23:58:44.123Z,
///              "tags" => [
///             [0] "a"
///         ]
///     }
///
/// Keys are right-aligned to the longest, four spaces per level. Logstash prints keys in its
/// internal hash order, which is not stable; Sluice sorts them bytewise (amazing_print's
/// `sort_keys`) so output is reproducible. `metadata => true` includes `@metadata`.
public struct RubyDebugCodec: Codec {
    public static let pluginName = "rubydebug"
    public static let summary = "Writes events in Ruby's pretty-printed form (Logstash's default stdout format)."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("metadata", .boolean, default: false, doc: "Include the event's `@metadata`."),
    ]

    let metadata: Bool

    public init(settings: PluginSettings, context: PluginContext) throws { try self.init(settings: settings) }

    public init(settings: PluginSettings) throws {
        metadata = try settings.declaredBool("metadata")
    }

    public var framing: Framing { .message }

    /// Logstash cannot decode rubydebug; reading messages as `plain` is the useful fallback.
    public func decode(_ message: ArraySlice<UInt8>, into events: inout [Event]) {
        events.append(Event(message: String(decoding: message, as: UTF8.self)))
    }

    public func encode(_ event: Event, into buffer: inout [UInt8]) {
        var fields = event.fields
        let meta = fields.removeValue(forKey: Event.metadataKey)
        if metadata, let meta, meta != .object(FieldMap()) { fields.set(Event.metadataKey, meta) }
        RubyInspect.appendHash(fields, indentation: RubyInspect.step, &buffer)
        buffer.append(0x0A)
    }
}
