import SluiceCore

/// The MongoDB family (on libmongoc): the `mongodb` output.
public enum MongoDBPlugins {
    public static func register(into r: inout PluginRegistry) {
        r.register(MongoDBOutput.self)
    }
}
