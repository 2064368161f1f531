import SluiceCore

/// The MongoDB family (on libmongoc). It registers no plugin yet: the mongodb output comes
/// next; the family, its C module and its product exist so it has a place to go.
public enum MongoDBPlugins {
    public static func register(into r: inout PluginRegistry) {}
}
