import SluiceCore

/// The spooldir family: the `spooldir` input (Flume's spooling-directory source).
public enum SpooldirPlugins {
    public static func register(into r: inout PluginRegistry) {
        r.register(SpooldirInput.self)
    }
}
