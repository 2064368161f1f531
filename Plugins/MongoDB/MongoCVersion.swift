import CMongoC
import Synchronization

/// The libmongoc the binary runs with, and its one-time global initialisation.
enum MongoC {
    private static let initialised = Mutex<Bool>(false)

    /// `mongoc_init` must run once, and finish, before any other libmongoc call.
    static func initialiseOnce() {
        initialised.withLock { done in
            if !done { mongoc_init() }
            done = true
        }
    }

    /// e.g. "1.26.0".
    static var version: String { String(cString: mongoc_get_version()) }
}
