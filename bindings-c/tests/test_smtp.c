/*
 * Sends through a real server with the C library: send_many (one outcome per message,
 * in order), the sender policy, the pool from several threads, and the transcript
 * callback (credentials never reach it). Run by tests/e2e.py against the sandbox
 * (tests/sandbox: STARTTLS, AUTH PLAIN/LOGIN, PIPELINING, CHUNKING, `reject…`
 * recipients refused with 550, senders registered for example.com), plain, under
 * valgrind and built with ASan+UBSan.
 *
 * Environment: E365_SMTP_HOST, E365_SMTP_PORT, E365_CA_FILE, E365_USERNAME,
 * E365_PASSWORD. Prints `N passed, N failed`.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "email365.h"
#include "runner.h"

static const char *env(const char *name) {
    const char *v = getenv(name);
    if (v == NULL) {
        fprintf(stderr, "%s is not set\n", name);
        exit(2);
    }
    return v;
}

static int str_eq(e365_str s, const char *want) {
    return s.data != NULL && s.len == strlen(want) && memcmp(s.data, want, s.len) == 0;
}

/* Options for the server of the environment, with AUTH and short time limits. */
static e365_smtp_options *server_options(void) {
    e365_smtp_options *o = NULL;
    const char *host = env("E365_SMTP_HOST"), *ca = env("E365_CA_FILE");
    const char *user = env("E365_USERNAME"), *password = env("E365_PASSWORD");
    CHECK(e365_smtp_options_new(host, strlen(host), &o, NULL) == E365_OK);
    CHECK(e365_smtp_options_set_port(o, (uint32_t)strtoul(env("E365_SMTP_PORT"), NULL, 10), NULL) == E365_OK);
    CHECK(e365_smtp_options_set_ca_file(o, ca, strlen(ca), NULL) == E365_OK);
    CHECK(e365_smtp_options_set_credentials(o, user, strlen(user), password, strlen(password), NULL) ==
          E365_OK);
    CHECK(e365_smtp_options_set_timeout_ms(o, E365_TIMEOUT_STEP_COMMAND, 20000, NULL) == E365_OK);
    CHECK(e365_smtp_options_set_timeout_ms(o, E365_TIMEOUT_STEP_DATA_END, 20000, NULL) == E365_OK);
    return o;
}

static e365_message *message(const char *from, const char *to1, const char *to2) {
    e365_message_builder *b = NULL;
    e365_message *m = NULL;
    CHECK(e365_message_builder_new(&b, NULL) == E365_OK);
    CHECK(e365_message_builder_set_from(b, from, strlen(from), NULL) == E365_OK);
    CHECK(e365_message_builder_add_to(b, to1, strlen(to1), NULL) == E365_OK);
    if (to2 != NULL) {
        CHECK(e365_message_builder_add_to(b, to2, strlen(to2), NULL) == E365_OK);
    }
    CHECK(e365_message_builder_set_subject(b, "C send_many", 11, NULL) == E365_OK);
    CHECK(e365_message_builder_set_text(b, "Hello\n", 6, NULL) == E365_OK);
    CHECK(e365_message_builder_build(b, &m, NULL) == E365_OK);
    e365_message_builder_free(b);
    return m;
}

/* The first accepted recipient of a delivery is `want`. */
static int accepted_first(const e365_delivery *d, const char *want) {
    return e365_delivery_accepted_len(d) >= 1 &&
           str_eq(e365_recipient_reply_recipient(e365_delivery_accepted(d, 0)), want);
}

/* --- send_many on one client ----------------------------------------------------------- */

static void test_send_many_gives_every_outcome_in_order(void) {
    e365_smtp_options *o = server_options();
    e365_smtp_client *c = NULL;
    CHECK(e365_smtp_client_connect(o, &c, NULL) == E365_OK);
    e365_smtp_options_free(o);
    e365_message *m[5] = {
        message("shop@example.com", "m0@example.org", NULL),
        message("shop@example.com", "reject-a@example.org", "reject-b@example.org"),
        message("shop@example.com", "m2@example.org", NULL),
        message("someone@unregistered.example", "m3@example.org", NULL),
        message("shop@example.com", "m4@example.org", "reject-c@example.org"),
    };
    const e365_message *list[5] = {m[0], m[1], m[2], m[3], m[4]};
    e365_send_results *r = NULL;
    CHECK(e365_smtp_client_send_many(c, list, 5, &r, NULL) == E365_OK);
    CHECK(e365_send_results_len(r) == 5);
    const e365_result want[5] = {E365_OK, E365_RECIPIENTS_REJECTED, E365_OK, E365_SMTP_PERMANENT, E365_OK};
    for (size_t i = 0; i < 5; i++) {
        CHECK(e365_send_results_code(r, i) == want[i]);
        CHECK((e365_send_results_delivery(r, i) != NULL) == (want[i] == E365_OK));
        CHECK((e365_send_results_error(r, i) != NULL) == (want[i] != E365_OK));
        CHECK(e365_error_kind(e365_send_results_error(r, i)) == (want[i] == E365_OK ? E365_OK : want[i]));
    }
    CHECK(e365_send_results_code(r, 5) == E365_INVALID_ARGUMENT && e365_send_results_delivery(r, 5) == NULL);
    const e365_delivery *d0 = e365_send_results_delivery(r, 0), *d2 = e365_send_results_delivery(r, 2);
    const e365_delivery *d4 = e365_send_results_delivery(r, 4);
    CHECK(accepted_first(d0, "m0@example.org") && accepted_first(d2, "m2@example.org"));
    CHECK(accepted_first(d4, "m4@example.org"));
    e365_str id0 = e365_delivery_notification_id(d0), id2 = e365_delivery_notification_id(d2);
    CHECK(id0.data != NULL && id2.data != NULL && strcmp(id0.data, id2.data) != 0);
    CHECK(e365_delivery_final_code(d0) == 250 && e365_delivery_transactions(d0) == 1);
    CHECK(strncmp(e365_delivery_final_reply(d0).data, "250", 3) == 0);
    /* The text alone: the wire form without its code and the separator after it. */
    CHECK(strcmp(e365_delivery_final_text(d0).data, e365_delivery_final_reply(d0).data + 4) == 0);
    CHECK(e365_delivery_rejected_len(d4) == 1);
    const e365_recipient_reply *refused = e365_delivery_rejected(d4, 0);
    CHECK(str_eq(e365_recipient_reply_recipient(refused), "reject-c@example.org"));
    CHECK(e365_recipient_reply_code(refused) == 550 && str_eq(e365_recipient_reply_enhanced(refused), "5.1.1"));
    CHECK(e365_recipient_reply_text(refused).data != NULL);
    CHECK(e365_delivery_rejected(d4, 1) == NULL);
    size_t n = 0;
    const e365_smtp_reply *replies = e365_error_replies(e365_send_results_error(r, 1), &n);
    CHECK(n == 2 && replies[0].code == 550 && str_eq(replies[1].recipient, "reject-b@example.org"));
    CHECK(e365_error_smtp_code(e365_send_results_error(r, 3)) == 550);
    e365_send_results_free(r);

    /* The client goes on after a batch with refusals. */
    e365_delivery *d = NULL;
    CHECK(e365_smtp_client_send(c, m[0], &d, NULL) == E365_OK);
    CHECK(accepted_first(d, "m0@example.org"));
    e365_delivery_free(d);
    CHECK(e365_smtp_client_close(&c, NULL) == E365_OK && c == NULL);
    for (size_t i = 0; i < 5; i++) {
        e365_message_free(m[i]);
    }
}

/* With a sender policy, an unregistered sender is refused before anything is sent; the
 * other messages of the batch still go. */
static void test_sender_policy_refuses_before_sending(void) {
    e365_smtp_options *o = server_options();
    e365_sender_policy *policy = NULL;
    e365_str domains[1] = {{"example.com", 11}};
    CHECK(e365_sender_policy_new(domains, 1, NULL, 0, &policy, NULL) == E365_OK);
    CHECK(e365_smtp_options_set_sender_policy(o, policy, NULL) == E365_OK);
    e365_sender_policy_free(policy); /* the options keep a copy */
    e365_smtp_client *c = NULL;
    CHECK(e365_smtp_client_connect(o, &c, NULL) == E365_OK);
    e365_smtp_options_free(o);
    e365_message *ok = message("shop@example.com", "p0@example.org", NULL);
    e365_message *other = message("shop@other.example", "p1@example.org", NULL);
    const e365_message *list[2] = {other, ok};
    e365_send_results *r = NULL;
    CHECK(e365_smtp_client_send_many(c, list, 2, &r, NULL) == E365_OK);
    CHECK(e365_send_results_code(r, 0) == E365_SENDER_NOT_REGISTERED);
    CHECK(e365_error_smtp_code(e365_send_results_error(r, 0)) == 0); /* never reached the server */
    CHECK(e365_send_results_code(r, 1) == E365_OK);
    e365_send_results_free(r);
    e365_delivery *d = NULL;
    e365_error *err = NULL;
    CHECK(e365_smtp_client_send(c, other, &d, &err) == E365_SENDER_NOT_REGISTERED);
    CHECK(d == NULL);
    CHECK(e365_error_kind(err) == E365_SENDER_NOT_REGISTERED);
    e365_error_free(err);
    e365_smtp_client_free(c);
    e365_message_free(ok);
    e365_message_free(other);
}

/* --- the pool ---------------------------------------------------------------------------- */

#define THREADS 6
#define PER_THREAD 3

struct counter {
    pthread_mutex_t lock;
    size_t lines;
};

static void count_line(void *userdata, uint32_t direction, const char *line, size_t len) {
    struct counter *c = userdata;
    (void)direction;
    (void)line;
    (void)len;
    pthread_mutex_lock(&c->lock);
    c->lines++;
    pthread_mutex_unlock(&c->lock);
}

struct job {
    const e365_smtp_pool *pool;
    int index;
    int ok; /* messages sent and checked */
};

static void *send_from_thread(void *arg) {
    struct job *job = arg;
    for (int j = 0; j < PER_THREAD; j++) {
        char to[64];
        snprintf(to, sizeof to, "t%d-%d@example.org", job->index, j);
        e365_message *m = message("shop@example.com", to, NULL);
        e365_delivery *d = NULL;
        e365_result rc;
        if (j == PER_THREAD - 1) {
            /* The last one as raw bytes with an explicit envelope. */
            e365_envelope *envelope = NULL;
            rc = e365_envelope_from_message(m->bytes, m->size, &envelope, NULL);
            if (rc == E365_OK) {
                rc = e365_smtp_pool_send_raw(job->pool, envelope->mail_from, envelope->rcpt_to,
                                             envelope->rcpt_to_len, envelope->bytes, envelope->bytes_len,
                                             &d, NULL);
                e365_envelope_free(envelope);
            }
        } else {
            rc = e365_smtp_pool_send(job->pool, m, &d, NULL);
        }
        if (rc == E365_OK && accepted_first(d, to) && e365_delivery_notification_id(d).data != NULL) {
            job->ok++;
        }
        e365_delivery_free(d);
        e365_message_free(m);
    }
    return NULL;
}

static void test_pool_sends_from_several_threads(void) {
    e365_smtp_options *o = server_options();
    struct counter counter;
    pthread_mutex_init(&counter.lock, NULL);
    counter.lines = 0;
    CHECK(e365_smtp_options_set_max_connections(o, 3, NULL) == E365_OK);
    CHECK(e365_smtp_options_set_log(o, count_line, &counter, NULL) == E365_OK);
    e365_smtp_pool *pool = NULL;
    CHECK(e365_smtp_pool_new(o, &pool, NULL) == E365_OK);
    e365_smtp_options_free(o);
    pthread_t threads[THREADS];
    struct job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i].pool = pool;
        jobs[i].index = i;
        jobs[i].ok = 0;
        CHECK(pthread_create(&threads[i], NULL, send_from_thread, &jobs[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK(jobs[i].ok == PER_THREAD);
    }
    e365_smtp_pool_free(pool);
    /* Every session logged its greeting, EHLO, ..., and QUIT went through the callback. */
    CHECK(counter.lines > THREADS * PER_THREAD * 4);
    pthread_mutex_destroy(&counter.lock);
}

#define MANY 12

static void test_pool_send_many_keeps_the_order(void) {
    e365_smtp_options *o = server_options();
    CHECK(e365_smtp_options_set_max_connections(o, 3, NULL) == E365_OK);
    CHECK(e365_smtp_options_set_window(o, 2, NULL) == E365_OK); /* parts of 4 on 3 connections */
    e365_smtp_pool *pool = NULL;
    CHECK(e365_smtp_pool_new(o, &pool, NULL) == E365_OK);
    e365_smtp_options_free(o);
    e365_message *m[MANY];
    const e365_message *list[MANY];
    char to[MANY][40];
    for (int i = 0; i < MANY; i++) {
        snprintf(to[i], sizeof to[i], "%s%d@example.org", i == 5 ? "reject-" : "many-", i);
        m[i] = message("shop@example.com", to[i], NULL);
        list[i] = m[i];
    }
    e365_send_results *r = NULL;
    CHECK(e365_smtp_pool_send_many(pool, list, MANY, &r, NULL) == E365_OK);
    CHECK(e365_send_results_len(r) == MANY);
    for (int i = 0; i < MANY; i++) {
        if (i == 5) {
            CHECK(e365_send_results_code(r, (size_t)i) == E365_RECIPIENTS_REJECTED);
        } else {
            CHECK(e365_send_results_code(r, (size_t)i) == E365_OK);
            CHECK(accepted_first(e365_send_results_delivery(r, (size_t)i), to[i]));
        }
        e365_message_free(m[i]);
    }
    e365_send_results_free(r);
    e365_smtp_pool_close(pool);
    e365_smtp_pool_free(pool);
}

/* --- raw messages with their own envelope ---------------------------------------------- */

/* The envelope is not the headers': the message says To: hdr@, the envelope goes to
 * other recipients (a Bcc list kept elsewhere); one of them refused. */
static void test_send_many_raw_uses_the_given_envelopes(void) {
    e365_smtp_options *o = server_options();
    CHECK(e365_smtp_options_set_max_connections(o, 2, NULL) == E365_OK);
    e365_smtp_client *c = NULL;
    e365_smtp_pool *pool = NULL;
    CHECK(e365_smtp_client_connect(o, &c, NULL) == E365_OK);
    CHECK(e365_smtp_pool_new(o, &pool, NULL) == E365_OK);
    e365_smtp_options_free(o);
    e365_message *m = message("shop@example.com", "hdr@example.org", NULL);
    e365_str from = {"shop@example.com", 16};
    e365_str first[2] = {{"env1@example.org", 16}, {"reject-env@example.org", 22}};
    e365_str second[1] = {{"env2@example.org", 16}};
    e365_outgoing *items[2] = {NULL, NULL};
    CHECK(e365_outgoing_new(from, first, 2, m->bytes, m->size, &items[0], NULL) == E365_OK);
    CHECK(e365_outgoing_new(from, second, 1, m->bytes, m->size, &items[1], NULL) == E365_OK);
    e365_message_free(m); /* the items hold copies */
    const e365_outgoing *list[2] = {items[0], items[1]};
    for (int k = 0; k < 2; k++) {
        e365_send_results *r = NULL;
        if (k == 0) {
            CHECK(e365_smtp_client_send_many_raw(c, list, 2, &r, NULL) == E365_OK);
        } else {
            CHECK(e365_smtp_pool_send_many_raw(pool, list, 2, &r, NULL) == E365_OK);
        }
        CHECK(e365_send_results_len(r) == 2);
        const e365_delivery *d0 = e365_send_results_delivery(r, 0), *d1 = e365_send_results_delivery(r, 1);
        CHECK(e365_delivery_accepted_len(d0) == 1 && accepted_first(d0, "env1@example.org"));
        CHECK(e365_delivery_rejected_len(d0) == 1 &&
              str_eq(e365_recipient_reply_recipient(e365_delivery_rejected(d0, 0)), "reject-env@example.org"));
        CHECK(e365_delivery_accepted_len(d1) == 1 && accepted_first(d1, "env2@example.org"));
        e365_send_results_free(r);
    }
    e365_outgoing_free(items[0]);
    e365_outgoing_free(items[1]);
    e365_smtp_client_free(c);
    e365_smtp_pool_free(pool);
}

/* --- the transcript callback ------------------------------------------------------------- */

struct transcript {
    char text[65536];
    size_t len;
    size_t lines;
    int first_is_greeting;
};

static void keep_line(void *userdata, uint32_t direction, const char *line, size_t len) {
    struct transcript *t = userdata;
    if (t->lines == 0) {
        t->first_is_greeting = direction == E365_LOG_RECEIVED && len >= 3 && memcmp(line, "220", 3) == 0;
    }
    t->lines++;
    if (line[len] != '\0' || t->len + len + 4 >= sizeof t->text) {
        return; /* not NUL-terminated (a failure below), or full */
    }
    t->text[t->len++] = direction == E365_LOG_SENT ? 'C' : 'S';
    t->text[t->len++] = ' ';
    memcpy(t->text + t->len, line, len);
    t->len += len;
    t->text[t->len++] = '\n';
    t->text[t->len] = '\0';
}

static void base64(const unsigned char *in, size_t n, char *out) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n) v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
    }
    out[o] = '\0';
}

/* The attack: a transcript written to a log file leaks the account's password. Neither
 * the password nor any base64 form the wire carries (AUTH PLAIN's \0user\0password,
 * AUTH LOGIN's user and password) may reach the callback, with either mechanism. */
static void test_transcript_never_carries_credentials(void) {
    const char *user = env("E365_USERNAME"), *password = env("E365_PASSWORD");
    const uint32_t mechanisms[2] = {E365_AUTH_PLAIN, E365_AUTH_LOGIN};
    static struct transcript t;
    for (size_t k = 0; k < 2; k++) {
        memset(&t, 0, sizeof t);
        e365_smtp_options *o = server_options();
        CHECK(e365_smtp_options_set_auth_mechanism(o, mechanisms[k], NULL) == E365_OK);
        CHECK(e365_smtp_options_set_log(o, keep_line, &t, NULL) == E365_OK);
        e365_smtp_client *c = NULL;
        CHECK(e365_smtp_client_connect(o, &c, NULL) == E365_OK);
        e365_smtp_options_free(o);
        e365_message *m = message("shop@example.com", "log@example.org", NULL);
        e365_delivery *d = NULL;
        CHECK(e365_smtp_client_send(c, m, &d, NULL) == E365_OK);
        CHECK(e365_smtp_client_close(&c, NULL) == E365_OK);
        e365_delivery_free(d);
        e365_message_free(m);

        CHECK(t.first_is_greeting);
        CHECK(strstr(t.text, "C EHLO ") != NULL && strstr(t.text, "C STARTTLS\n") != NULL);
        CHECK(strstr(t.text, k == 0 ? "C AUTH PLAIN <redacted>\n" : "C AUTH LOGIN\nS 334 ") != NULL);
        CHECK(strstr(t.text, "S 235 ") != NULL);
        CHECK(strstr(t.text, "C MAIL FROM:<shop@example.com>") != NULL);
        CHECK(strstr(t.text, "C RCPT TO:<log@example.org>") != NULL);
        CHECK(strstr(t.text, "C QUIT\n") != NULL);
        CHECK(strstr(t.text, password) == NULL);
        char encoded[512];
        base64((const unsigned char *)password, strlen(password), encoded);
        CHECK(strstr(t.text, encoded) == NULL);
        base64((const unsigned char *)user, strlen(user), encoded);
        CHECK(strstr(t.text, encoded) == NULL);
        unsigned char plain[256];
        size_t n = 0;
        if (strlen(user) + strlen(password) + 2 > sizeof plain) {
            CHECK(!"credentials too long for this test");
            continue;
        }
        plain[n++] = 0;
        memcpy(plain + n, user, strlen(user));
        n += strlen(user);
        plain[n++] = 0;
        memcpy(plain + n, password, strlen(password));
        n += strlen(password);
        base64(plain, n, encoded);
        CHECK(strstr(t.text, encoded) == NULL);
        /* Message data is summarised, never passed. */
        CHECK(strstr(t.text, "Subject:") == NULL);
        if (runner_current_failed) {
            fprintf(stderr, "transcript:\n%s", t.text);
        }
    }
}

int main(void) {
    RUN(test_send_many_gives_every_outcome_in_order);
    RUN(test_sender_policy_refuses_before_sending);
    RUN(test_pool_sends_from_several_threads);
    RUN(test_pool_send_many_keeps_the_order);
    RUN(test_send_many_raw_uses_the_given_envelopes);
    RUN(test_transcript_never_carries_credentials);
    return SUMMARY();
}
