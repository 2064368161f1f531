import SluiceCore

/// The field-extraction family: grok, dissect, kv, csv, fingerprint.
public enum GrokPlugins {
    public static func register(into r: inout PluginRegistry) {
        r.register(GrokFilter.self)
        r.register(DissectFilter.self)
        r.register(KVFilter.self)
        r.register(CSVFilter.self)
        r.register(FingerprintFilter.self)
    }
}
