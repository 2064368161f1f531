#ifndef SLUICE_CRDKAFKA_SHIM_H
#define SLUICE_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
/* The mock cluster (rd_kafka_mock_cluster_new) the Kafka tests run against. */
#include <librdkafka/rdkafka_mock.h>
#endif
