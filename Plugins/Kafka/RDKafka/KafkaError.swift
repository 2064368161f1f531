import CRdKafka

/// A librdkafka error as a Swift value: its code, name and text, and whether sending the same
/// message again can succeed. `isRetriable` decides between the host's retry and the
/// dead-letter queue, so it errs towards retrying: only errors that are the message's own
/// fault (too large, refused by authorization, invalid) are permanent.
public struct KafkaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The rd_kafka_resp_err_t value (negative: raised by librdkafka itself).
    public let code: Int32
    /// librdkafka's name for the code, e.g. `MSG_SIZE_TOO_LARGE`, `_TRANSPORT`.
    public let name: String
    public let message: String
    public let isRetriable: Bool

    public init(code: Int32, message: String? = nil) {
        self.code = code
        let err = rd_kafka_resp_err_t(rawValue: code)
        name = String(cString: rd_kafka_err2name(err))
        self.message = message ?? String(cString: rd_kafka_err2str(err))
        isRetriable = !KafkaError.permanent.contains(code)
    }

    init(_ err: rd_kafka_resp_err_t, message: String? = nil) { self.init(code: err.rawValue, message: message) }

    /// An error that is not a broker or client code (bad configuration, a failed allocation).
    static func local(_ message: String) -> KafkaError { KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, message: message) }

    public var description: String { "\(name): \(message)" }

    /// Codes that sending again cannot fix. Everything else (timeouts, transport errors, leader
    /// changes, NOT_ENOUGH_REPLICAS, a full local queue, purges at shutdown, unknown topics that
    /// may yet be created, failed authentication that an operator may fix) is retried.
    static let permanent: Set<Int32> = Set([
        RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE,
        RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE,
        RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE,
        RD_KAFKA_RESP_ERR_INVALID_RECORD,
        RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP,
        RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION,
        RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
        RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
        RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS,
        RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT,
        RD_KAFKA_RESP_ERR__BAD_MSG,
        RD_KAFKA_RESP_ERR__INVALID_ARG,
        RD_KAFKA_RESP_ERR__INVALID_TYPE,
    ].map(\.rawValue))
}
