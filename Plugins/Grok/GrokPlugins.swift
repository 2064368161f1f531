import SluiceCore

/// The field-extraction family: grok, dissect, kv, csv, fingerprint.
public enum GrokPlugins {
    public static func register(into r: inout PluginRegistry) {
    }
}
