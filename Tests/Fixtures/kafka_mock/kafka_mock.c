/*
 * The Kafka test service: librdkafka's mock cluster (rdkafka_mock.h, librdkafka-dev) with
 * three brokers on 127.0.0.1, kept up until killed. Topics are created on first use
 * (auto-create) or with the `create` command.
 *
 *   kafka_mock --info FILE [--initial-rebalance-delay-ms N]
 *
 * A new group's first member waits for more members before its assignment, as long as a
 * broker's group.initial.rebalance.delay.ms: 3 s in librdkafka 2.0.2's mock, fixed. With a
 * librdkafka whose mock can set it (rd_kafka_mock_group_initial_rebalance_delay_ms, as in the
 * confluent-kafka wheel), --initial-rebalance-delay-ms sets it, e.g. to 0 as the development
 * brokers of Confluent's images and Testcontainers do; otherwise the option is an error.
 *
 * writes {"kafka": "127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3", "kafka_control": "127.0.0.1:PORT"}
 * to FILE once the cluster listens. The control port (127.0.0.1 only) takes one command per
 * line and answers each with "ok" or "error: ...":
 *
 *   down BROKER|-1                     rd_kafka_mock_broker_set_down (closes its connections)
 *   up BROKER|-1                       rd_kafka_mock_broker_set_up
 *   push_errors APIKEY ERR [ERR...]    rd_kafka_mock_push_request_errors: the next requests of
 *                                      APIKEY (0 Produce, 1 Fetch, 3 Metadata, ...) fail with ERR
 *   clear_errors APIKEY                rd_kafka_mock_clear_request_errors
 *   topic_error TOPIC ERR              rd_kafka_mock_topic_set_error (NO_ERROR clears it)
 *   create TOPIC PARTITIONS [REPLICAS] rd_kafka_mock_topic_create
 *
 * ERR is a number or a librdkafka error name without its prefix (MSG_SIZE_TOO_LARGE,
 * NOT_ENOUGH_REPLICAS, _TRANSPORT, ...).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define BROKERS 3

/* Declared weak: 2.0.2's rdkafka_mock.h lacks it, and it is NULL when the library lacks it. */
extern void rd_kafka_mock_group_initial_rebalance_delay_ms(rd_kafka_mock_cluster_t *mcluster,
                                                           int32_t delay_ms) __attribute__((weak));

static rd_kafka_mock_cluster_t *mcluster;
static volatile sig_atomic_t stopping;

static void on_signal(int sig) { (void)sig; stopping = 1; }

/* An error code from a number or a name such as MSG_SIZE_TOO_LARGE; -1000 when unknown. */
static int parse_err(const char *s) {
    char *end;
    long n = strtol(s, &end, 10);
    if (*s && !*end) return (int)n;
    const struct rd_kafka_err_desc *descs;
    size_t cnt;
    rd_kafka_get_err_descs(&descs, &cnt);
    for (size_t i = 0; i < cnt; i++)
        if (descs[i].name && strcmp(descs[i].name, s) == 0) return descs[i].code;
    return -1000;
}

/* Runs one command line; writes the answer into reply. */
static void run_command(char *line, char *reply, size_t size) {
    char *argv[34];
    int argc = 0;
    for (char *tok = strtok(line, " \t\r\n"); tok && argc < 34; tok = strtok(NULL, " \t\r\n")) argv[argc++] = tok;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (argc == 0) {
        snprintf(reply, size, "error: empty command\n");
        return;
    }
    if ((!strcmp(argv[0], "down") || !strcmp(argv[0], "up")) && argc == 2) {
        int32_t id = atoi(argv[1]);
        int32_t first = id < 0 ? 1 : id, last = id < 0 ? BROKERS : id;
        for (int32_t b = first; b <= last && !err; b++)
            err = !strcmp(argv[0], "down") ? rd_kafka_mock_broker_set_down(mcluster, b)
                                           : rd_kafka_mock_broker_set_up(mcluster, b);
    } else if (!strcmp(argv[0], "push_errors") && argc >= 3) {
        rd_kafka_resp_err_t errs[32];
        size_t n = 0;
        for (int i = 2; i < argc; i++) {
            int e = parse_err(argv[i]);
            if (e == -1000) {
                snprintf(reply, size, "error: unknown error %s\n", argv[i]);
                return;
            }
            errs[n++] = (rd_kafka_resp_err_t)e;
        }
        rd_kafka_mock_push_request_errors_array(mcluster, (int16_t)atoi(argv[1]), n, errs);
    } else if (!strcmp(argv[0], "clear_errors") && argc == 2) {
        rd_kafka_mock_clear_request_errors(mcluster, (int16_t)atoi(argv[1]));
    } else if (!strcmp(argv[0], "topic_error") && argc == 3) {
        int e = parse_err(argv[2]);
        if (e == -1000) {
            snprintf(reply, size, "error: unknown error %s\n", argv[2]);
            return;
        }
        rd_kafka_mock_topic_set_error(mcluster, argv[1], (rd_kafka_resp_err_t)e);
    } else if (!strcmp(argv[0], "create") && (argc == 3 || argc == 4)) {
        err = rd_kafka_mock_topic_create(mcluster, argv[1], atoi(argv[2]), argc == 4 ? atoi(argv[3]) : BROKERS);
    } else {
        snprintf(reply, size, "error: unknown command or arguments: %s\n", argv[0]);
        return;
    }
    if (err)
        snprintf(reply, size, "error: %s\n", rd_kafka_err2str(err));
    else
        snprintf(reply, size, "ok\n");
}

/* Serves one control connection until it closes. */
static void serve(int fd) {
    char buf[4096];
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fd, buf + used, sizeof(buf) - 1 - used);
        if (n <= 0) return;
        used += (size_t)n;
        char *nl;
        while ((nl = memchr(buf, '\n', used)) != NULL) {
            *nl = 0;
            char reply[512];
            run_command(buf, reply, sizeof(reply));
            fprintf(stderr, "control: %s", reply);
            if (write(fd, reply, strlen(reply)) < 0) return;
            size_t rest = used - (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, rest);
            used = rest;
        }
        if (used == sizeof(buf) - 1) return; /* a line too long: drop the connection */
    }
}

int main(int argc, char **argv) {
    const char *info = NULL, *delay = NULL;
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--info")) info = argv[i + 1];
        if (!strcmp(argv[i], "--initial-rebalance-delay-ms")) delay = argv[i + 1];
    }
    if (!info) {
        fprintf(stderr, "usage: kafka_mock --info FILE [--initial-rebalance-delay-ms N]\n");
        return 2;
    }
    if (delay && !rd_kafka_mock_group_initial_rebalance_delay_ms) {
        fprintf(stderr, "kafka_mock: librdkafka %s cannot set the initial rebalance delay\n", rd_kafka_version_str());
        return 2;
    }
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* The handle only hosts the mock cluster's thread; it never connects anywhere. */
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "rd_kafka_new: %s\n", errstr);
        return 1;
    }
    mcluster = rd_kafka_mock_cluster_new(rk, BROKERS);
    if (!mcluster) {
        fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
        return 1;
    }
    if (delay) rd_kafka_mock_group_initial_rebalance_delay_ms(mcluster, atoi(delay));

    int ctl = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ctl, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(ctl, (struct sockaddr *)&addr, sizeof(addr)) || listen(ctl, 8) ||
        getsockname(ctl, (struct sockaddr *)&addr, &len)) {
        fprintf(stderr, "control socket: %s\n", strerror(errno));
        return 1;
    }

    const char *bootstraps = rd_kafka_mock_cluster_bootstraps(mcluster);
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", info);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "%s: %s\n", tmp, strerror(errno));
        return 1;
    }
    fprintf(f, "{\"kafka\": \"%s\", \"kafka_control\": \"127.0.0.1:%d\"}\n", bootstraps, ntohs(addr.sin_port));
    fclose(f);
    rename(tmp, info);
    fprintf(stderr, "kafka mock cluster: %s, control 127.0.0.1:%d\n", bootstraps, ntohs(addr.sin_port));

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    while (!stopping) {
        int fd = accept(ctl, NULL, NULL);
        if (fd < 0) continue; /* EINTR from a signal: the loop checks `stopping` */
        serve(fd);
        close(fd);
    }
    rd_kafka_mock_cluster_destroy(mcluster);
    rd_kafka_destroy(rk);
    return 0;
}
