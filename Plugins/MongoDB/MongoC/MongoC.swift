import CMongoC
import SluiceCore
import Synchronization

/// The libmongoc the binary runs with, its one-time global initialisation, and where its own
/// log lines go.
enum MongoC {
    private static let initialised = Mutex<Bool>(false)

    /// `mongoc_init` must run once, and finish, before any other libmongoc call. libmongoc's
    /// own log lines (server monitoring, stream warnings) go to swift-log from then on.
    static func initialiseOnce() {
        initialised.withLock { done in
            if !done {
                mongoc_init()
                mongoc_log_set_handler({ level, domain, message, _ in
                    MongoC.log(level: level, domain: domain, message: message)
                }, nil)
            }
            done = true
        }
    }

    /// e.g. "1.26.0".
    static var version: String { String(cString: mongoc_get_version()) }

    private struct LogState {
        var logger: Logger?
        var secrets: [String] = []
    }
    private static let logState = Mutex(LogState())

    /// Sends libmongoc's log lines to `logger` (the first output's; the handler is global),
    /// with `secrets` (uri passwords) replaced.
    static func routeLogs(to logger: Logger, secrets: [String]) {
        logState.withLock { state in
            if state.logger == nil { state.logger = logger }
            state.secrets += secrets.filter { !state.secrets.contains($0) }
        }
    }

    private static func log(level: mongoc_log_level_t, domain: UnsafePointer<CChar>?, message: UnsafePointer<CChar>?) {
        let (logger, secrets) = logState.withLock { ($0.logger, $0.secrets) }
        guard let logger, let message else { return }
        let text = "libmongoc \(domain.map { String(cString: $0) } ?? ""): " + MongoURI.redact(String(cString: message), secrets)
        switch level {
        case MONGOC_LOG_LEVEL_ERROR, MONGOC_LOG_LEVEL_CRITICAL: logger.error("\(text)")
        case MONGOC_LOG_LEVEL_WARNING: logger.warning("\(text)")
        case MONGOC_LOG_LEVEL_MESSAGE, MONGOC_LOG_LEVEL_INFO: logger.info("\(text)")
        default: logger.debug("\(text)")
        }
    }
}
