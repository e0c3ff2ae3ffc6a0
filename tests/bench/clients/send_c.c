/*
 * A sending-benchmark client in C (libemail365), driven by `send-bench`
 * (tests/bench/src/bin/send_bench.rs):
 *
 *   send_c one|many HOST PORT MESSAGE_FILE RCPTS MAX_MESSAGES MAX_SECONDS
 *
 * One plaintext connection (E365_TLS_INSECURE_PLAINTEXT, local tests only): one warm-up
 * message, `ready`, wait for a line on stdin, send the same bytes with the explicit
 * envelope until MAX_MESSAGES or MAX_SECONDS, `done <count> <seconds>`, wait for a line,
 * QUIT. `one` sends each message with e365_smtp_client_send_raw; `many` sends whole
 * batches of 100 with e365_smtp_client_send_many_raw (the default window, or
 * EMAIL365_BENCH_WINDOW if set), as the Rust `email365-rust-many` client does. Exit status 0, or 1 on a failure (printed on stderr).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "email365.h"

#define BATCH 100

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_error(const char *what, e365_result rc, const e365_error *err) {
    e365_str m = e365_error_message(err);
    fprintf(stderr, "%s: %s: %.*s\n", what, e365_result_name(rc), (int)m.len, m.data ? m.data : "");
}

static int fail(const char *what, e365_result rc, e365_error *err) {
    print_error(what, rc, err);
    e365_error_free(err);
    return 1;
}

/* The message and its envelope, read once. */
struct workload {
    e365_str from;
    e365_str to[100];
    size_t rcpts;
    const uint8_t *bytes;
    size_t len;
};

/* Sends one message with e365_smtp_client_send_raw; 1 message sent or -1. */
static long send_one(e365_smtp_client *client, const struct workload *w) {
    e365_delivery *d = NULL;
    e365_error *err = NULL;
    e365_result rc = e365_smtp_client_send_raw(client, w->from, w->to, w->rcpts, w->bytes, w->len, &d, &err);
    if (rc != E365_OK) {
        fail("send", rc, err);
        return -1;
    }
    e365_delivery_free(d);
    return 1;
}

/* Sends the batch with e365_smtp_client_send_many_raw; the number sent or -1 when any
 * message failed. */
static long send_batch(e365_smtp_client *client, const e365_outgoing *const *batch) {
    e365_send_results *results = NULL;
    e365_error *err = NULL;
    e365_result rc = e365_smtp_client_send_many_raw(client, batch, BATCH, &results, &err);
    if (rc != E365_OK) {
        fail("send_many", rc, err);
        return -1;
    }
    long sent = (long)e365_send_results_len(results);
    for (size_t i = 0; i < (size_t)sent; i++) {
        e365_result code = e365_send_results_code(results, i);
        if (code != E365_OK) {
            print_error("send_many", code, e365_send_results_error(results, i));
            sent = -1;
            break;
        }
    }
    e365_send_results_free(results);
    return sent;
}

int main(int argc, char **argv) {
    if (argc != 8 || (strcmp(argv[1], "one") != 0 && strcmp(argv[1], "many") != 0)) {
        fprintf(stderr, "usage: %s one|many HOST PORT MESSAGE_FILE RCPTS MAX_MESSAGES MAX_SECONDS\n",
                argv[0]);
        return 2;
    }
    int many = strcmp(argv[1], "many") == 0;
    FILE *f = fopen(argv[4], "rb");
    if (f == NULL) {
        perror(argv[4]);
        return 1;
    }
    static uint8_t bytes[1 << 20];
    size_t len = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    int rcpts = atoi(argv[5]);
    long max_messages = atol(argv[6]);
    double max_seconds = atof(argv[7]);
    if (rcpts < 1 || rcpts > 100) {
        fprintf(stderr, "RCPTS must be 1..100\n");
        return 2;
    }
    static char names[100][32];
    struct workload w;
    for (int i = 0; i < rcpts; i++) {
        snprintf(names[i], sizeof names[i], "rcpt%d@example.org", i + 1);
        w.to[i].data = names[i];
        w.to[i].len = strlen(names[i]);
    }
    w.from.data = "bench@sender.example";
    w.from.len = strlen(w.from.data);
    w.rcpts = (size_t)rcpts;
    w.bytes = bytes;
    w.len = len;

    e365_error *err = NULL;
    e365_smtp_options *options = NULL;
    e365_result rc = e365_smtp_options_new(argv[2], strlen(argv[2]), &options, &err);
    if (rc == E365_OK) {
        rc = e365_smtp_options_set_port(options, (uint32_t)atoi(argv[3]), &err);
    }
    if (rc == E365_OK) {
        rc = e365_smtp_options_set_tls_mode(options, E365_TLS_INSECURE_PLAINTEXT, &err);
    }
    /* As the other clients: 60 s for each reply. */
    if (rc == E365_OK) {
        rc = e365_smtp_options_set_timeout_ms(options, E365_TIMEOUT_STEP_COMMAND, 60000, &err);
    }
    if (rc == E365_OK) {
        rc = e365_smtp_options_set_timeout_ms(options, E365_TIMEOUT_STEP_DATA_END, 60000, &err);
    }
    /* send-bench's --window (the default window otherwise). */
    const char *window = getenv("EMAIL365_BENCH_WINDOW");
    if (rc == E365_OK && many && window != NULL) {
        rc = e365_smtp_options_set_window(options, (size_t)strtoul(window, NULL, 10), &err);
    }
    if (rc != E365_OK) {
        e365_smtp_options_free(options);
        return fail("options", rc, err);
    }
    e365_smtp_client *client = NULL;
    rc = e365_smtp_client_connect(options, &client, &err);
    e365_smtp_options_free(options);
    if (rc != E365_OK) {
        return fail("connect", rc, err);
    }

    /* One outgoing message, BATCH times in the batch (immutable, sent any number of times). */
    e365_outgoing *outgoing = NULL;
    const e365_outgoing *batch[BATCH];
    if (many) {
        rc = e365_outgoing_new(w.from, w.to, w.rcpts, w.bytes, w.len, &outgoing, &err);
        if (rc != E365_OK) {
            e365_smtp_client_free(client);
            return fail("outgoing", rc, err);
        }
        for (size_t i = 0; i < BATCH; i++) {
            batch[i] = outgoing;
        }
    }

    int status = 0;
    char line[64];
    long count = 0;
    double start = 0;
    /* The warm-up: one message, one at a time in both modes. */
    if (send_one(client, &w) < 0) {
        status = 1;
        goto out;
    }
    printf("ready\n");
    fflush(stdout);
    if (fgets(line, sizeof line, stdin) == NULL) {
        goto out;
    }
    start = now();
    while (count < max_messages && (count == 0 || now() - start < max_seconds)) {
        long sent = many ? send_batch(client, batch) : send_one(client, &w);
        if (sent < 0) {
            status = 1;
            goto out;
        }
        count += sent;
    }
    printf("done %ld %.6f\n", count, now() - start);
    fflush(stdout);
    if (fgets(line, sizeof line, stdin) == NULL) {
        line[0] = '\0';
    }
out:
    e365_outgoing_free(outgoing);
    if (status != 0) {
        e365_smtp_client_free(client);
        return status;
    }
    rc = e365_smtp_client_close(&client, &err);
    if (rc != E365_OK) {
        return fail("quit", rc, err);
    }
    return 0;
}
