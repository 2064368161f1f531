import CMongoC
import SluiceCore

/// A parsed connection string (`mongoc_uri_t`), and the secrets inside it that no log line or
/// error may show.
final class MongoURI: @unchecked Sendable {
    let pointer: OpaquePointer
    /// The password as written (percent-encoded) and as decoded; both are redacted.
    let secrets: [String]

    /// Parses `text` (no I/O). Without `serverSelectionTimeoutMS` in it, server selection waits
    /// `defaultSelectionTimeoutMS` (libmongoc's 30 s would hold a write that long when the
    /// server is down before the host's retry takes over).
    init(_ text: String, defaultSelectionTimeoutMS: Int32) throws(PluginError) {
        MongoC.initialiseOnce()
        let written = Secrets.inURL(text)
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error(text, &error) else {
            throw PluginError("invalid uri: \(Secrets.redact(error.text, written))", retriable: false)
        }
        pointer = uri
        var found = written
        if let p = mongoc_uri_get_password(uri), p.pointee != 0 { found.append(String(cString: p)) }
        secrets = found
        if !mongoc_uri_has_option(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS) {
            mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, defaultSelectionTimeoutMS)
        }
    }

    deinit { mongoc_uri_destroy(pointer) }

    /// `message` with the password replaced.
    func redact(_ message: String) -> String { MongoURI.redact(message, secrets) }

    static func redact(_ message: String, _ secrets: [String]) -> String {
        var out = message
        // Longest first, so a password that contains the other form is replaced whole.
        for s in secrets.sorted(by: { $0.count > $1.count }) where !s.isEmpty {
            out = out.replacing(s, with: Secrets.redacted)
        }
        return out
    }
}
