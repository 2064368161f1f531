import CMongoC

/// What MongoDB's error codes mean for a write that failed: the codes come from the server's
/// error_codes.yml and the drivers' retryable-writes specification.
enum MongoErrors {
    /// Codes a retry can fix: the primary stepped down or is unknown, the node is shutting down
    /// or recovering, the network failed or timed out, the write concern timed out.
    static let retriableCodes: Set<Int> = [
        6,      // HostUnreachable
        7,      // HostNotFound
        64,     // WriteConcernFailed (wtimeout)
        89,     // NetworkTimeout
        91,     // ShutdownInProgress
        189,    // PrimarySteppedDown
        262,    // ExceededTimeLimit
        9001,   // SocketException
        10107,  // NotWritablePrimary (formerly NotMaster)
        11600,  // InterruptedAtShutdown
        11602,  // InterruptedDueToReplStateChange
        13435,  // NotPrimaryNoSecondaryOk
        13436,  // NotPrimaryOrSecondary
    ]

    /// Duplicate key (E11000, and its old and update forms).
    static let duplicateKeyCodes: Set<Int> = [11000, 11001, 12582]

    /// Whether a duplicate-key error is about `_id`. MongoDB 4.4+ names the index in
    /// `keyPattern`; older servers (and nx-27017) only in the message: "index: _id_ dup key"
    /// or SQLite's "UNIQUE constraint failed: coll._id". Another unique index means the
    /// document clashes with a different one: not a replay.
    static func isDuplicateId(_ e: BulkReply.ItemError) -> Bool {
        guard duplicateKeyCodes.contains(e.code) else { return false }
        if let pattern = e.keyPattern { return pattern == ["_id"] }
        return e.message.contains("index: _id_ ") || e.message.hasSuffix("._id")
    }

    /// Whether a failure of the bulk as a whole may pass: the network, server selection
    /// (no server answered in time), a not-primary or shutdown answer, or the server's own
    /// `RetryableWriteError` label. Authentication and malformed commands will not.
    static func isRetriable(_ f: BulkFailure) -> Bool {
        if f.labels.contains("RetryableWriteError") || f.labels.contains("NetworkError") { return true }
        switch f.domain {
        case UInt32(MONGOC_ERROR_STREAM.rawValue), UInt32(MONGOC_ERROR_SERVER_SELECTION.rawValue),
             UInt32(MONGOC_ERROR_PROTOCOL.rawValue), UInt32(MONGOC_ERROR_POOL.rawValue):
            return true
        case UInt32(MONGOC_ERROR_SERVER.rawValue), UInt32(MONGOC_ERROR_WRITE_CONCERN.rawValue):
            return retriableCodes.contains(Int(f.code))
        default:
            return false
        }
    }

    /// Whether the credentials were refused.
    static func isAuthentication(_ f: BulkFailure) -> Bool {
        (f.domain == UInt32(MONGOC_ERROR_CLIENT.rawValue) && f.code == UInt32(MONGOC_ERROR_CLIENT_AUTHENTICATE.rawValue))
            || f.domain == UInt32(MONGOC_ERROR_SASL.rawValue)
            || (f.domain == UInt32(MONGOC_ERROR_SERVER.rawValue) && f.code == 18)  // AuthenticationFailed
    }
}
