/*
 * A sending-benchmark client in C (libemail365), driven by `send-bench`
 * (tests/bench/src/bin/send_bench.rs):
 *
 *   send_c HOST PORT MESSAGE_FILE RCPTS MAX_MESSAGES MAX_SECONDS
 *
 * One plaintext connection (E365_TLS_INSECURE_PLAINTEXT, local tests only): one warm-up
 * message, `ready`, wait for a line on stdin, send the same bytes with
 * e365_smtp_client_send_raw until MAX_MESSAGES or MAX_SECONDS, `done <count> <seconds>`,
 * wait for a line, QUIT. Exit status 0, or 1 on a failure (printed on stderr).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "email365.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, e365_result rc, e365_error *err) {
    e365_str m = e365_error_message(err);
    fprintf(stderr, "%s: %s: %.*s\n", what, e365_result_name(rc), (int)m.len, m.data ? m.data : "");
    e365_error_free(err);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s HOST PORT MESSAGE_FILE RCPTS MAX_MESSAGES MAX_SECONDS\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[3], "rb");
    if (f == NULL) {
        perror(argv[3]);
        return 1;
    }
    static uint8_t bytes[1 << 20];
    size_t len = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    int rcpts = atoi(argv[4]);
    long max_messages = atol(argv[5]);
    double max_seconds = atof(argv[6]);
    if (rcpts < 1 || rcpts > 100) {
        fprintf(stderr, "RCPTS must be 1..100\n");
        return 2;
    }
    static char names[100][32];
    e365_str to[100];
    for (int i = 0; i < rcpts; i++) {
        snprintf(names[i], sizeof names[i], "rcpt%d@example.org", i + 1);
        to[i].data = names[i];
        to[i].len = strlen(names[i]);
    }
    e365_str from = {"bench@sender.example", strlen("bench@sender.example")};

    e365_smtp_options options;
    memset(&options, 0, sizeof options);
    options.host.data = argv[1];
    options.host.len = strlen(argv[1]);
    options.port = (uint16_t)atoi(argv[2]);
    options.tls = E365_TLS_INSECURE_PLAINTEXT;
    e365_error *err = NULL;
    e365_smtp_client *client = NULL;
    e365_result rc = e365_smtp_client_connect(&options, &client, &err);
    if (rc != E365_OK) {
        return fail("connect", rc, err);
    }
    char line[64];
    long count = -1; /* the first message is the warm-up */
    double start = 0;
    for (;;) {
        if (count == 0) {
            printf("ready\n");
            fflush(stdout);
            if (fgets(line, sizeof line, stdin) == NULL) {
                break;
            }
            start = now();
        }
        if (count >= max_messages || (count > 0 && now() - start >= max_seconds)) {
            break;
        }
        e365_delivery *d = NULL;
        rc = e365_smtp_client_send_raw(client, from, to, (size_t)rcpts, bytes, len, &d, &err);
        if (rc != E365_OK) {
            e365_smtp_client_free(client);
            return fail("send", rc, err);
        }
        e365_delivery_free(d);
        count++;
    }
    printf("done %ld %.6f\n", count, now() - start);
    fflush(stdout);
    if (fgets(line, sizeof line, stdin) == NULL) {
        line[0] = '\0';
    }
    rc = e365_smtp_client_close(&client, &err);
    if (rc != E365_OK) {
        return fail("quit", rc, err);
    }
    return 0;
}
