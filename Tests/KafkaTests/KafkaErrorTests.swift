import CRdKafka
import Testing
@testable import KafkaPlugins

/// What retrying can fix decides retry against dead-letter queue: only the message's own
/// faults are permanent.
@Suite struct KafkaErrorTests {
    @Test func theMessagesOwnFaultsArePermanent() {
        for err in [RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
                    RD_KAFKA_RESP_ERR_INVALID_RECORD, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE] {
            let e = KafkaError(err)
            #expect(!e.isRetriable, "\(e)")
        }
    }

    @Test func theClustersStateIsRetriable() {
        for err in [RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                    RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__PURGE_QUEUE,
                    RD_KAFKA_RESP_ERR__PURGE_INFLIGHT, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION] {
            let e = KafkaError(err)
            #expect(e.isRetriable, "\(e)")
        }
    }

    @Test func namesComeFromLibrdkafka() {
        #expect(KafkaError(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE).name == "MSG_SIZE_TOO_LARGE")
        #expect(KafkaError(RD_KAFKA_RESP_ERR__TRANSPORT).name == "_TRANSPORT")
    }
}
