/// An error from a plugin at start or run time: what went wrong, where (the plugin id), a
/// code a program can act on, and whether a retry can help. `retriable` decides between
/// retry-with-backoff and the dead-letter queue (or, at start, stopping the pipeline).
public struct PluginError: Error, CustomStringConvertible, Sendable {
    /// A machine-readable cause. Plugins may add their own (`PluginError.Code("lease")`).
    public struct Code: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { rawValue = value }
        public var description: String { rawValue }

        /// The destination could not be reached (refused, DNS, reset).
        public static let connection: Code = "connection"
        /// The destination did not answer in time.
        public static let timeout: Code = "timeout"
        /// The destination asked us to slow down (HTTP 429, broker throttling).
        public static let throttled: Code = "throttled"
        /// The destination failed on its side (HTTP 5xx, leader not available).
        public static let unavailable: Code = "unavailable"
        /// Credentials were refused.
        public static let authentication: Code = "authentication"
        /// The destination refused the data itself (a mapping error, a record too large).
        public static let rejected: Code = "rejected"
        /// A named resource does not exist (bucket, index, topic).
        public static let notFound: Code = "not_found"
        /// Local I/O failed (disk full, permissions).
        public static let io: Code = "io"
        /// The destination is gone for good (stdout's reader exited: `sluice ... | head -1`).
        /// Nothing more can be delivered, so the pipeline stops as if its inputs had finished;
        /// the batch that failed this way is not acknowledged and stays at its source.
        public static let closed: Code = "closed"
        /// Anything else.
        public static let other: Code = "other"
    }

    public var message: String
    public var retriable: Bool
    public var code: Code
    /// The id of the plugin that failed; the pipeline fills it in when the plugin did not.
    public var pluginId: String?

    public init(_ message: String, retriable: Bool, code: Code = .other, pluginId: String? = nil) {
        self.message = message
        self.retriable = retriable
        self.code = code
        self.pluginId = pluginId
    }

    public var description: String { message }

    /// The error with `pluginId` set, for an error of any type a plugin threw.
    /// Errors that are not `PluginError`s count as retriable: a plugin that wants a
    /// failure to be final says so.
    static func from(_ error: any Error, pluginId: String) -> PluginError {
        if var e = error as? PluginError {
            if e.pluginId == nil { e.pluginId = pluginId }
            return e
        }
        return PluginError("\(error)", retriable: true, pluginId: pluginId)
    }
}
