/// The codecs SluiceCore ships, for the plugin registry.
public enum BuiltinCodecs {
    public static let all: [any Codec.Type] = [
        PlainCodec.self, LineCodec.self, JSONCodec.self, JSONLinesCodec.self, RubyDebugCodec.self, DotsCodec.self,
    ]
}
