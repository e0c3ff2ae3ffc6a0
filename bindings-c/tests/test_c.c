/*
 * The C suite of the email365 C library: every exported function's success and error
 * paths, NULL for every pointer argument, outputs untouched on failure, _free(NULL).
 * Built three times (shared library, static library, static + ASan/UBSan) and run
 * under valgrind as well (bindings-c/Makefile, `make test`).
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "email365.h"
#include "runner.h"

/* A pointer value that no call may write over when it fails. */
#define SENTINEL ((void *)0x5e5e)

static e365_str text(const char *s) {
    e365_str v;
    v.data = s;
    v.len = strlen(s);
    return v;
}

static int str_eq(e365_str s, const char *want) {
    return s.data != NULL && s.len == strlen(want) && memcmp(s.data, want, s.len) == 0 &&
           s.data[s.len] == '\0';
}

static int reason_is(const e365_error *err, const char *want) {
    const char *r = e365_error_reason(err);
    return r != NULL && strcmp(r, want) == 0;
}

/* --- version, result codes, error object --------------------------------------------- */

static void test_version(void) {
    CHECK(strcmp(e365_version(), E365_VERSION) == 0);
}

static void test_result_names(void) {
    CHECK(strcmp(e365_result_name(E365_OK), "ok") == 0);
    CHECK(strcmp(e365_result_name(E365_INVALID_ADDRESS), "invalid_address") == 0);
    CHECK(strcmp(e365_result_name(E365_SMTPUTF8_NOT_SUPPORTED), "smtputf8_not_supported") == 0);
    CHECK(strcmp(e365_result_name(E365_INTERNAL), "internal") == 0);
    CHECK(e365_result_name(12345) == NULL);
    size_t n = 0;
    const uint32_t *codes = e365_result_codes(&n);
    CHECK(n == 20);
    CHECK(codes[0] == E365_INVALID_ADDRESS && codes[n - 1] == E365_INTERNAL);
    for (size_t i = 0; i < n; i++) {
        CHECK(e365_result_name(codes[i]) != NULL);
    }
    CHECK(e365_result_codes(NULL) == codes);
}

static void test_error_accessors_of_null(void) {
    size_t pos = 77, n = 5;
    CHECK(e365_error_kind(NULL) == E365_OK);
    CHECK(e365_error_reason(NULL) == NULL);
    CHECK(e365_error_message(NULL).data == NULL);
    CHECK(!e365_error_position(NULL, &pos) && pos == 77);
    CHECK(!e365_error_transient(NULL));
    CHECK(e365_error_smtp_code(NULL) == 0);
    CHECK(e365_error_enhanced_code(NULL).data == NULL);
    CHECK(e365_error_reply_text(NULL).data == NULL);
    CHECK(e365_error_replies(NULL, &n) == NULL && n == 0);
    e365_error_free(NULL);
    e365_string_free(NULL);
}

static void test_error_object_of_a_parse_error(void) {
    e365_error *err = NULL;
    e365_classification *c = SENTINEL;
    const char *reply = "250-first\r\n";
    e365_result rc = e365_reply_classify(reply, strlen(reply), NULL, 0, &c, &err);
    CHECK(rc == E365_INVALID_REPLY);
    CHECK(c == SENTINEL);
    CHECK(e365_error_kind(err) == E365_INVALID_REPLY);
    CHECK(reason_is(err, "missing_final_line"));
    size_t pos = 0;
    CHECK(e365_error_position(err, &pos) && pos == strlen(reply));
    CHECK(!e365_error_position(err, NULL));
    e365_str message = e365_error_message(err);
    CHECK(message.data != NULL && message.len > 0 && message.data[message.len] == '\0');
    CHECK(!e365_error_transient(err));
    CHECK(e365_error_smtp_code(err) == 0);
    CHECK(e365_error_reply_text(err).data == NULL);
    size_t n = 9;
    CHECK(e365_error_replies(err, &n) == NULL && n == 0);
    e365_error_free(err);
}

/* --- addresses and sender policy ------------------------------------------------------ */

static void test_address_parse(void) {
    e365_address *a = NULL;
    e365_error *err = NULL;
    const char *s = "user@example.com";
    CHECK(e365_address_parse(s, strlen(s), NULL, &a, &err) == E365_OK);
    CHECK(err == NULL);
    if (a != NULL) {
        CHECK(str_eq(a->local, "user"));
        CHECK(str_eq(a->domain, "example.com"));
        CHECK(str_eq(a->ascii_domain, "example.com"));
        CHECK(a->display_name.data == NULL);
        CHECK(str_eq(a->envelope, "user@example.com"));
        CHECK(!a->smtputf8);
    }
    e365_address_free(a);
    e365_address_free(NULL);

    /* Header form with a display name. */
    e365_address_options options = {0};
    options.mode = E365_ADDRESS_MODE_HEADER;
    const char *h = "Jane Doe <jane@B\xc3\xbc" "cher.example>";
    a = NULL;
    CHECK(e365_address_parse(h, strlen(h), &options, &a, NULL) == E365_OK);
    if (a != NULL) {
        CHECK(str_eq(a->display_name, "Jane Doe"));
        CHECK(str_eq(a->domain, "b\xc3\xbc" "cher.example"));
        CHECK(str_eq(a->ascii_domain, "xn--bcher-kva.example"));
        CHECK(str_eq(a->header, "Jane Doe <jane@xn--bcher-kva.example>"));
    }
    e365_address_free(a);

    /* Pointer + length: the bytes after len are not read. */
    const char *longer = "user@example.comXYZ";
    a = NULL;
    CHECK(e365_address_parse(longer, 16, NULL, &a, NULL) == E365_OK);
    CHECK(a != NULL && str_eq(a->envelope, "user@example.com"));
    e365_address_free(a);
}

static void test_address_refused(void) {
    e365_address *a = SENTINEL;
    e365_error *err = NULL;
    const char *s = "no-at-sign";
    CHECK(e365_address_parse(s, strlen(s), NULL, &a, &err) == E365_INVALID_ADDRESS);
    CHECK(a == SENTINEL);
    CHECK(e365_error_kind(err) == E365_INVALID_ADDRESS);
    CHECK(reason_is(err, "no_at"));
    size_t pos = 0;
    CHECK(e365_error_position(err, &pos) && pos == strlen(s));
    e365_error_free(err);

    /* A NUL inside the text reaches the core, which refuses it at its offset. */
    const char nul[] = "ab\0c@example.com";
    a = SENTINEL;
    err = NULL;
    CHECK(e365_address_parse(nul, sizeof nul - 1, NULL, &a, &err) == E365_INVALID_ADDRESS);
    pos = 0;
    CHECK(e365_error_position(err, &pos) && pos == 2);
    CHECK(a == SENTINEL);
    e365_error_free(err);
}

static void test_address_bad_arguments(void) {
    e365_address *a = SENTINEL;
    e365_error *err = NULL;
    const char *s = "a@example.com";
    CHECK(e365_address_parse(NULL, 3, NULL, &a, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "null_argument"));
    e365_error_free(err);
    CHECK(e365_address_parse(s, strlen(s), NULL, NULL, NULL) == E365_INVALID_ARGUMENT);
    e365_address_options bad = {0};
    bad.mode = 9;
    CHECK(e365_address_parse(s, strlen(s), &bad, &a, NULL) == E365_INVALID_ARGUMENT);
    const char invalid_utf8[] = "a\xff@example.com";
    err = NULL;
    CHECK(e365_address_parse(invalid_utf8, sizeof invalid_utf8 - 1, NULL, &a, &err) ==
          E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "invalid_utf8"));
    size_t pos = 0;
    CHECK(e365_error_position(err, &pos) && pos == 1);
    e365_error_free(err);
    CHECK(a == SENTINEL);
}

static void test_sender_policy(void) {
    e365_str domains[1];
    domains[0] = text("example.com");
    e365_str addresses[1];
    addresses[0] = text("me@example.org");
    e365_sender_policy *policy = NULL;
    e365_address *sender = NULL;
    const char *s = "me@example.com";
    CHECK(e365_sender_policy_new(domains, 1, addresses, 1, &policy, NULL) == E365_OK);
    CHECK(e365_address_parse(s, strlen(s), NULL, &sender, NULL) == E365_OK);
    CHECK(e365_sender_policy_check(policy, sender, NULL) == E365_OK);
    CHECK(e365_sender_policy_check(NULL, sender, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_sender_policy_check(policy, NULL, NULL) == E365_INVALID_ARGUMENT);
    e365_address_free(sender);
    e365_sender_policy_free(policy);
    e365_sender_policy_free(NULL);

    /* An empty list may be NULL; a policy without any entry is refused. */
    policy = NULL;
    CHECK(e365_sender_policy_new(domains, 1, NULL, 0, &policy, NULL) == E365_OK);
    const char *other = "me@example.net";
    sender = NULL;
    e365_error *err = NULL;
    CHECK(e365_address_parse(other, strlen(other), NULL, &sender, NULL) == E365_OK);
    CHECK(e365_sender_policy_check(policy, sender, &err) == E365_SENDER_NOT_REGISTERED);
    CHECK(e365_error_kind(err) == E365_SENDER_NOT_REGISTERED);
    e365_error_free(err);
    e365_address_free(sender);
    e365_sender_policy_free(policy);
    policy = SENTINEL;
    err = NULL;
    CHECK(e365_sender_policy_new(NULL, 0, NULL, 0, &policy, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "empty_policy"));
    e365_error_free(err);
    e365_str bad_domain[1];
    bad_domain[0] = text("not a domain");
    CHECK(e365_sender_policy_new(bad_domain, 1, NULL, 0, &policy, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_sender_policy_new(NULL, 1, NULL, 0, &policy, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_sender_policy_new(NULL, 0, NULL, 1, &policy, NULL) == E365_INVALID_ARGUMENT);
    e365_str null_entry[1];
    null_entry[0].data = NULL;
    null_entry[0].len = 2;
    CHECK(e365_sender_policy_new(null_entry, 1, NULL, 0, &policy, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_sender_policy_new(domains, 1, NULL, 0, NULL, NULL) == E365_INVALID_ARGUMENT);
    CHECK(policy == SENTINEL);
}

/* --- replies and notification ids ----------------------------------------------------- */

static void test_reply_classify(void) {
    e365_classification *c = NULL;
    const char *reply = "452 4.5.3 Error: too many recipients\r\n";
    CHECK(e365_reply_classify(reply, strlen(reply), "RCPT", 4, &c, NULL) == E365_OK);
    if (c != NULL) {
        CHECK(c->code == 452);
        CHECK(str_eq(c->enhanced, "4.5.3"));
        CHECK(c->severity == E365_SEVERITY_TRANSIENT);
        CHECK(str_eq(c->severity_name, "transient"));
        CHECK(c->category == E365_CATEGORY_PROTOCOL);
        CHECK(str_eq(c->category_name, "protocol"));
        CHECK(c->retry);
        CHECK(str_eq(c->description, "Too many recipients"));
        CHECK(!c->inconsistent);
    }
    e365_classification_free(c);
    e365_classification_free(NULL);

    c = NULL;
    const char *multi = "250-mx.example.com\r\n250 2.0.0 OK";
    CHECK(e365_reply_classify(multi, strlen(multi), NULL, 0, &c, NULL) == E365_OK);
    CHECK(c != NULL && c->severity == E365_SEVERITY_SUCCESS && !c->retry);
    e365_classification_free(c);

    /* Basic and enhanced classes disagree: the basic code decides. */
    c = NULL;
    const char *mixed = "550 4.1.1 mixed";
    CHECK(e365_reply_classify(mixed, strlen(mixed), NULL, 0, &c, NULL) == E365_OK);
    CHECK(c != NULL && c->severity == E365_SEVERITY_PERMANENT && c->inconsistent);
    e365_classification_free(c);
}

static void test_reply_classify_refused(void) {
    e365_classification *c = SENTINEL;
    e365_error *err = NULL;
    CHECK(e365_reply_classify("250 ok", 6, "FROB", 4, &c, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "unknown_command"));
    e365_error_free(err);
    err = NULL;
    const char *two = "250 ok\r\n250 again";
    CHECK(e365_reply_classify(two, strlen(two), NULL, 0, &c, &err) == E365_INVALID_REPLY);
    CHECK(reason_is(err, "trailing_data"));
    e365_error_free(err);
    /* A NUL inside the text reaches the core's parser, which refuses it first: it
       would cut a C string short (docs/REPLIES.md, "Server text"). */
    err = NULL;
    const char nul[] = "25\0 ok";
    CHECK(e365_reply_classify(nul, sizeof nul - 1, NULL, 0, &c, &err) == E365_INVALID_REPLY);
    CHECK(reason_is(err, "nul_byte"));
    e365_error_free(err);
    CHECK(e365_reply_classify(NULL, 0, NULL, 0, &c, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_reply_classify("250 ok", 6, NULL, 0, NULL, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_reply_classify("250 \xc3", 5, NULL, 0, &c, NULL) == E365_INVALID_ARGUMENT);
    CHECK(c == SENTINEL);
}

static void test_reply_classify_code(void) {
    e365_classification *c = NULL;
    CHECK(e365_reply_classify_code(550, "5.1.1", 5, "RCPT TO", 7, &c, NULL) == E365_OK);
    if (c != NULL) {
        CHECK(c->severity == E365_SEVERITY_PERMANENT && !c->retry);
        CHECK(c->category == E365_CATEGORY_ADDRESSING);
        CHECK(str_eq(c->enhanced, "5.1.1"));
    }
    e365_classification_free(c);
    c = NULL;
    CHECK(e365_reply_classify_code(421, NULL, 0, NULL, 0, &c, NULL) == E365_OK);
    CHECK(c != NULL && c->category == E365_CATEGORY_NONE && c->category_name.data == NULL &&
          c->enhanced.data == NULL && c->retry);
    e365_classification_free(c);

    c = SENTINEL;
    e365_error *err = NULL;
    CHECK(e365_reply_classify_code(600, NULL, 0, NULL, 0, &c, &err) == E365_INVALID_REPLY);
    CHECK(reason_is(err, "bad_code"));
    e365_error_free(err);
    err = NULL;
    CHECK(e365_reply_classify_code(550, "5.1", 3, NULL, 0, &c, &err) == E365_INVALID_REPLY);
    CHECK(reason_is(err, "bad_enhanced_code"));
    e365_error_free(err);
    CHECK(e365_reply_classify_code(550, NULL, 0, "nope", 4, &c, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_reply_classify_code(550, NULL, 0, NULL, 0, NULL, NULL) == E365_INVALID_ARGUMENT);
    CHECK(c == SENTINEL);
}

static void test_notification_id(void) {
    char *id = SENTINEL;
    const char *reply = "250 2.0.0 Ok: queued as 10000000902077";
    CHECK(e365_notification_id_extract(reply, strlen(reply), &id, NULL) == E365_OK);
    CHECK(id != SENTINEL && id != NULL && strcmp(id, "10000000902077") == 0);
    if (id != SENTINEL) {
        e365_string_free(id);
    }
    id = SENTINEL;
    CHECK(e365_notification_id_extract("250 OK", 6, &id, NULL) == E365_OK);
    CHECK(id == NULL);
    id = SENTINEL;
    CHECK(e365_notification_id_extract(NULL, 0, &id, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_notification_id_extract(reply, strlen(reply), NULL, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_notification_id_extract("\xff", 1, &id, NULL) == E365_INVALID_ARGUMENT);
    CHECK(id == SENTINEL);
}

/* --- status API ----------------------------------------------------------------------- */

static e365_status_query sample_query(void) {
    e365_status_query q;
    memset(&q, 0, sizeof q);
    q.account_id = text("caas_email12345");
    q.notification_id = text("10000000902077");
    q.username = text("user");
    q.password = text("pass");
    return q;
}

static void test_status_request(void) {
    e365_status_query q = sample_query();
    q.recipient = text("email:name1@customer.com");
    e365_status_request *r = NULL;
    CHECK(e365_status_request_build(&q, &r, NULL) == E365_OK);
    if (r != NULL) {
        CHECK(str_eq(r->method, "GET"));
        CHECK(str_eq(r->url, "https://eu.email.sdi.sinch.com/v1/caas_email12345/notifications/id/"
                             "10000000902077?recipient=email:name1@customer.com"));
        CHECK(str_eq(r->authorization, "Basic dXNlcjpwYXNz"));
        CHECK(str_eq(r->accept, "application/json"));
    }
    e365_status_request_free(r);
    e365_status_request_free(NULL);

    q = sample_query();
    q.base_url = text("http://127.0.0.1:8025/");
    r = NULL;
    CHECK(e365_status_request_build(&q, &r, NULL) == E365_OK);
    CHECK(r != NULL && str_eq(r->url, "http://127.0.0.1:8025/v1/caas_email12345/notifications/id/"
                                      "10000000902077"));
    e365_status_request_free(r);
}

static void test_status_request_refused(void) {
    e365_status_request *r = SENTINEL;
    e365_error *err = NULL;
    e365_status_query q = sample_query();
    q.region = text("EU");
    CHECK(e365_status_request_build(&q, &r, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "invalid_region"));
    e365_error_free(err);

    /* A NUL inside an id reaches the core, which refuses it at its offset. */
    q = sample_query();
    q.account_id.data = "ab\0c";
    q.account_id.len = 4;
    err = NULL;
    CHECK(e365_status_request_build(&q, &r, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "invalid_account_id"));
    size_t pos = 0;
    CHECK(e365_error_position(err, &pos) && pos == 2);
    e365_error_free(err);

    /* The password never appears in an error. */
    q = sample_query();
    q.username = text("us:er");
    q.password = text("s3cr3t-pw");
    err = NULL;
    CHECK(e365_status_request_build(&q, &r, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "invalid_username"));
    CHECK(strstr(e365_error_message(err).data, "s3cr3t-pw") == NULL);
    e365_error_free(err);

    /* NULL for each required field, for the query and for out. */
    q = sample_query();
    q.account_id.data = NULL;
    CHECK(e365_status_request_build(&q, &r, NULL) == E365_INVALID_ARGUMENT);
    q = sample_query();
    q.notification_id.data = NULL;
    CHECK(e365_status_request_build(&q, &r, NULL) == E365_INVALID_ARGUMENT);
    q = sample_query();
    q.username.data = NULL;
    CHECK(e365_status_request_build(&q, &r, NULL) == E365_INVALID_ARGUMENT);
    q = sample_query();
    q.password.data = NULL;
    CHECK(e365_status_request_build(&q, &r, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_status_request_build(NULL, &r, NULL) == E365_INVALID_ARGUMENT);
    q = sample_query();
    CHECK(e365_status_request_build(&q, NULL, NULL) == E365_INVALID_ARGUMENT);
    CHECK(r == SENTINEL);
}

static void test_status_parse(void) {
    const char *body =
        "{\"Notification\": {\"notificationId\": \"10000000902077\", \"status\": ["
        "{\"statusCode\": \"CAAS_RECEIVED\", \"statusText\": \"received\", \"channel\": "
        "\"email\", \"recipient\": \"email:a@example.com\", \"timestamp\": "
        "\"2015-03-08 14:58:30.252\"},"
        "{\"statusCode\": \"BOUNCED\", \"recipient\": \"email:a@EXAMPLE.com\"},"
        "{\"statusCode\": \"CH_RECEIVED\", \"recipient\": \"email:b@example.com\"}]}}";
    e365_notification *n = NULL;
    CHECK(e365_status_parse(body, strlen(body), &n, NULL) == E365_OK);
    if (n != NULL) {
        CHECK(n->found);
        CHECK(str_eq(n->notification_id, "10000000902077"));
        CHECK(n->events_len == 3);
        CHECK(str_eq(n->events[0].code, "CAAS_RECEIVED"));
        CHECK(str_eq(n->events[0].text, "received"));
        CHECK(str_eq(n->events[0].channel, "email"));
        CHECK(str_eq(n->events[0].recipient, "a@example.com"));
        CHECK(str_eq(n->events[0].timestamp, "2015-03-08T14:58:30.252Z"));
        CHECK(n->events[0].timestamp_ms == 1425826710252LL);
        CHECK(!n->events[0].is_final);
        CHECK(str_eq(n->events[1].code, "BOUNCED") && n->events[1].is_final);
        CHECK(n->events[1].timestamp.data == NULL && n->events[1].text.data == NULL);
        CHECK(n->recipients_len == 2);
        CHECK(str_eq(n->recipients[0].recipient, "a@example.com"));
        CHECK(n->recipients[0].is_final && str_eq(n->recipients[0].latest.code, "BOUNCED"));
        CHECK(!n->recipients[1].is_final);
        CHECK(!n->all_final);
    }
    e365_notification_free(n);
    e365_notification_free(NULL);

    n = NULL;
    CHECK(e365_status_parse("{}", 2, &n, NULL) == E365_OK);
    CHECK(n != NULL && !n->found && n->events_len == 0 && n->events == NULL &&
          n->recipients == NULL && n->notification_id.data == NULL && !n->all_final);
    e365_notification_free(n);

    /* An embedded NUL in a JSON string is kept, with its length. */
    const char *nul = "{\"Notification\": {\"status\": [{\"statusCode\": \"X\\u0000Y\"}]}}";
    n = NULL;
    CHECK(e365_status_parse(nul, strlen(nul), &n, NULL) == E365_OK);
    CHECK(n != NULL && n->events_len == 1 && n->events[0].code.len == 3 &&
          memcmp(n->events[0].code.data, "X\0Y", 3) == 0 && n->all_final);
    e365_notification_free(n);
}

static void test_status_parse_refused(void) {
    e365_notification *n = SENTINEL;
    e365_error *err = NULL;
    const char *wrong = "{\"Notification\": {\"status\": \"nope\"}}";
    CHECK(e365_status_parse(wrong, strlen(wrong), &n, &err) == E365_INVALID_STATUS_RESPONSE);
    CHECK(reason_is(err, "wrong_type"));
    e365_error_free(err);
    err = NULL;
    const char *broken = "{\"Notification\" {}}";
    CHECK(e365_status_parse(broken, strlen(broken), &n, &err) == E365_INVALID_STATUS_RESPONSE);
    CHECK(reason_is(err, "malformed_json"));
    size_t pos = 0;
    CHECK(e365_error_position(err, &pos));
    e365_error_free(err);
    CHECK(e365_status_parse(NULL, 0, &n, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_status_parse("{}", 2, NULL, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_status_parse("\"\xfe\"", 3, &n, NULL) == E365_INVALID_ARGUMENT);
    CHECK(n == SENTINEL);
}

static void test_status_polling(void) {
    uint64_t delay = 0;
    CHECK(e365_status_next_delay(0, NULL, &delay, NULL) == E365_OK && delay == 1000);
    CHECK(e365_status_next_delay(3, NULL, &delay, NULL) == E365_OK && delay == 8000);
    CHECK(e365_status_next_delay(40, NULL, &delay, NULL) == E365_OK && delay == 30000);
    uint64_t retry_after = 600000;
    CHECK(e365_status_next_delay(0, &retry_after, &delay, NULL) == E365_OK && delay == 300000);
    delay = 42;
    CHECK(e365_status_next_delay(0, NULL, NULL, NULL) == E365_INVALID_ARGUMENT);
    bool final = false;
    CHECK(e365_status_is_final("CH_SENT", 7, &final, NULL) == E365_OK && final);
    CHECK(e365_status_is_final("CH_RECEIVED", 11, &final, NULL) == E365_OK && !final);
    CHECK(e365_status_is_final("HARD_BOUNCE", 11, &final, NULL) == E365_OK && final);
    final = false;
    CHECK(e365_status_is_final(NULL, 0, &final, NULL) == E365_INVALID_ARGUMENT && !final);
    CHECK(e365_status_is_final("CH_SENT", 7, NULL, NULL) == E365_INVALID_ARGUMENT);
}

static e365_str str_of(const char *s) {
    e365_str v = {s, strlen(s)};
    return v;
}

static void test_status_http_error(void) {
    e365_http_answer a;
    e365_http_verdict v;
    memset(&a, 0, sizeof a);
    a.status = 200;
    v.error = SENTINEL;
    CHECK(e365_status_http_error(&a, &v, NULL) == E365_OK);
    CHECK(v.error == NULL && !v.has_retry_after && v.retry_after_ms == 0);

    /* 404: not found, not transient; the body is quoted in the message. */
    a.status = 404;
    a.url = str_of("https://eu.email.sdi.sinch.com/v1/a/notifications/id/1");
    a.body = str_of("no such notification");
    CHECK(e365_status_http_error(&a, &v, NULL) == E365_OK);
    CHECK(e365_error_kind(v.error) == E365_NOT_FOUND && reason_is(v.error, "not_found"));
    CHECK(!e365_error_transient(v.error));
    e365_str m = e365_error_message(v.error);
    CHECK(m.data != NULL && strstr(m.data, "HTTP 404") != NULL);
    CHECK(strstr(m.data, "no such notification") != NULL);
    e365_error_free(v.error);

    /* 401 never quotes the body; a body holding the password is never quoted at all. */
    a.status = 401;
    a.body = str_of("bad user s3cret");
    a.password = str_of("s3cret");
    CHECK(e365_status_http_error(&a, &v, NULL) == E365_OK);
    CHECK(e365_error_kind(v.error) == E365_AUTH && reason_is(v.error, "unauthorized"));
    m = e365_error_message(v.error);
    CHECK(m.data != NULL && strstr(m.data, "s3cret") == NULL);
    e365_error_free(v.error);
    a.status = 500;
    CHECK(e365_status_http_error(&a, &v, NULL) == E365_OK);
    m = e365_error_message(v.error);
    CHECK(e365_error_kind(v.error) == E365_STATUS_HTTP && strstr(m.data, "s3cret") == NULL);
    e365_error_free(v.error);

    /* 429 with delay seconds, then with an HTTP date read against now_ms. */
    a.status = 429;
    a.retry_after = str_of("7");
    CHECK(e365_status_http_error(&a, &v, NULL) == E365_OK);
    CHECK(reason_is(v.error, "too_many_requests") && e365_error_transient(v.error));
    CHECK(v.has_retry_after && v.retry_after_ms == 7000);
    e365_error_free(v.error);
    uint64_t now_ms = 784111777000u; /* Sun, 06 Nov 1994 08:49:37 GMT */
    a.now_ms = &now_ms;
    a.status = 503;
    a.retry_after = str_of("Sun, 06 Nov 1994 08:50:07 GMT");
    CHECK(e365_status_http_error(&a, &v, NULL) == E365_OK);
    CHECK(reason_is(v.error, "server_error") && v.has_retry_after && v.retry_after_ms == 30000);
    e365_error_free(v.error);
    a.retry_after = str_of("soon");
    CHECK(e365_status_http_error(&a, &v, NULL) == E365_OK);
    CHECK(v.error != NULL && !v.has_retry_after && v.retry_after_ms == 0);
    e365_error_free(v.error);

    /* Bad arguments: the verdict is not written. */
    e365_error *err = NULL;
    v.error = SENTINEL;
    CHECK(e365_status_http_error(NULL, &v, &err) == E365_INVALID_ARGUMENT);
    CHECK(v.error == SENTINEL);
    e365_error_free(err);
    CHECK(e365_status_http_error(&a, NULL, NULL) == E365_INVALID_ARGUMENT);
    a.retry_after = str_of("\xfe");
    CHECK(e365_status_http_error(&a, &v, NULL) == E365_INVALID_ARGUMENT);
    CHECK(v.error == SENTINEL);
}

/* --- messages ------------------------------------------------------------------------- */

static e365_message_builder *sample_builder(void) {
    e365_message_builder *b = NULL;
    CHECK(e365_message_builder_new(&b, NULL) == E365_OK);
    CHECK(e365_message_builder_set_from(b, "Shop <shop@example.com>", 23, NULL) == E365_OK);
    CHECK(e365_message_builder_add_to(b, "alice@example.org", 17, NULL) == E365_OK);
    CHECK(e365_message_builder_add_cc(b, "bob@example.org", 15, NULL) == E365_OK);
    CHECK(e365_message_builder_add_bcc(b, "audit@example.com", 17, NULL) == E365_OK);
    CHECK(e365_message_builder_add_reply_to(b, "help@example.com", 16, NULL) == E365_OK);
    CHECK(e365_message_builder_set_subject(b, "Your receipt", 12, NULL) == E365_OK);
    CHECK(e365_message_builder_set_text(b, "Thank you!\nBye\r", 15, NULL) == E365_OK);
    CHECK(e365_message_builder_set_html(b, "<p>Thank you!</p>", 17, NULL) == E365_OK);
    CHECK(e365_message_builder_set_message_id(b, "<r-1@example.com>", 17, NULL) == E365_OK);
    CHECK(e365_message_builder_set_date(b, "Sat, 28 Nov 2026 12:00:00 +0000", 31, NULL) == E365_OK);
    CHECK(e365_message_builder_add_header(b, "X-Campaign", 10, "spring", 6, NULL) == E365_OK);
    const uint8_t pdf[] = {'%', 'P', 'D', 'F', 0, 0xff, '\n'};
    CHECK(e365_message_builder_add_attachment(b, "receipt.pdf", 11, "application/pdf", 15, pdf,
                                              sizeof pdf, NULL, 0, NULL) == E365_OK);
    CHECK(e365_message_builder_add_attachment(b, "logo.png", 8, NULL, 0, pdf, 4, "logo1", 5,
                                              NULL) == E365_OK);
    CHECK(e365_message_builder_add_attachment(b, "empty.txt", 9, NULL, 0, NULL, 0, NULL, 0,
                                              NULL) == E365_OK);
    return b;
}

static void test_message_build(void) {
    e365_message_builder *b = sample_builder();
    e365_message *m = NULL;
    CHECK(e365_message_builder_build(b, &m, NULL) == E365_OK);
    if (m != NULL) {
        CHECK(m->size > 0 && m->bytes[m->size - 2] == '\r' && m->bytes[m->size - 1] == '\n');
        CHECK(str_eq(m->mail_from, "shop@example.com"));
        CHECK(m->rcpt_to_len == 3);
        CHECK(str_eq(m->rcpt_to[0], "alice@example.org"));
        CHECK(str_eq(m->rcpt_to[2], "audit@example.com"));
        CHECK(str_eq(m->message_id, "r-1@example.com"));
        CHECK(!m->smtputf8);
        /* Bcc never reaches the bytes; every line ends with CRLF. */
        int bare_lf = 0, has_bcc = 0;
        for (size_t i = 0; i < m->size; i++) {
            if (m->bytes[i] == '\n' && (i == 0 || m->bytes[i - 1] != '\r')) {
                bare_lf = 1;
            }
            if (i + 6 <= m->size && memcmp(m->bytes + i, "audit@", 6) == 0) {
                has_bcc = 1;
            }
        }
        CHECK(!bare_lf && !has_bcc);

        /* The builder is unchanged: a second build gives the same bytes. */
        e365_message *again = NULL;
        CHECK(e365_message_builder_build(b, &again, NULL) == E365_OK);
        CHECK(again != NULL && again->size == m->size &&
              memcmp(again->bytes, m->bytes, m->size) == 0);
        e365_message_free(again);

        /* The envelope of the bytes: same sender, recipients without the Bcc. */
        e365_envelope *env = NULL;
        CHECK(e365_envelope_from_message(m->bytes, m->size, &env, NULL) == E365_OK);
        CHECK(env != NULL && str_eq(env->mail_from, "shop@example.com") && env->rcpt_to_len == 2 &&
              env->bytes_len == m->size);
        e365_envelope_free(env);
    }
    e365_message_free(m);
    e365_message_builder_free(b);
    e365_message_free(NULL);
    e365_message_builder_free(NULL);
    e365_envelope_free(NULL);
}

static void test_message_sender_and_null_reverse_path(void) {
    e365_message_builder *b = sample_builder();
    CHECK(e365_message_builder_set_sender(b, "Agent <agent@example.com>", 25, NULL) == E365_OK);
    CHECK(e365_message_builder_set_envelope_from(b, "", 0, NULL) == E365_OK);
    CHECK(e365_message_builder_set_date_unix(b, 1795867200, NULL) == E365_OK);
    e365_message *m = NULL;
    CHECK(e365_message_builder_build(b, &m, NULL) == E365_OK);
    if (m != NULL) {
        CHECK(m->mail_from.data != NULL && m->mail_from.len == 0); /* MAIL FROM:<> */
        int has_sender = 0;
        for (size_t i = 0; i + 9 <= m->size; i++) {
            if (memcmp(m->bytes + i, "\r\nSender:", 9) == 0) {
                has_sender = 1;
            }
        }
        CHECK(has_sender);
    }
    e365_message_free(m);
    e365_message_builder_free(b);
}

static void test_message_refused(void) {
    e365_message *m = SENTINEL;
    e365_error *err = NULL;
    e365_message_builder *b = sample_builder();
    /* CR/LF in a header value: refused by the core at build. */
    CHECK(e365_message_builder_add_header(b, "X-Evil", 6, "a\r\nBcc: x@y.z", 14, NULL) == E365_OK);
    CHECK(e365_message_builder_build(b, &m, &err) == E365_INVALID_MESSAGE);
    CHECK(e365_error_reason(err) != NULL);
    e365_error_free(err);
    e365_message_builder_free(b);

    /* An invalid recipient: invalid_message with the address diagnosis as reason. */
    b = sample_builder();
    CHECK(e365_message_builder_add_to(b, "no-at-sign", 10, NULL) == E365_OK);
    err = NULL;
    CHECK(e365_message_builder_build(b, &m, &err) == E365_INVALID_MESSAGE);
    CHECK(reason_is(err, "no_at"));
    e365_error_free(err);
    e365_message_builder_free(b);

    /* A NUL inside the subject reaches the core and is refused. */
    b = sample_builder();
    CHECK(e365_message_builder_set_subject(b, "a\0b", 3, NULL) == E365_OK);
    CHECK(e365_message_builder_build(b, &m, NULL) == E365_INVALID_MESSAGE);
    e365_message_builder_free(b);

    /* A sender outside the policy. */
    b = sample_builder();
    e365_str domains[1];
    domains[0] = text("example.net");
    e365_sender_policy *policy = NULL;
    CHECK(e365_sender_policy_new(domains, 1, NULL, 0, &policy, NULL) == E365_OK);
    CHECK(e365_message_builder_set_sender_policy(b, policy, NULL) == E365_OK);
    e365_sender_policy_free(policy); /* the builder keeps its own copy */
    CHECK(e365_message_builder_build(b, &m, NULL) == E365_SENDER_NOT_REGISTERED);
    CHECK(m == SENTINEL);

    /* NULL for every pointer argument. */
    CHECK(e365_message_builder_new(NULL, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_set_from(NULL, "a@b.c", 5, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_set_from(b, NULL, 5, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_set_sender(b, NULL, 5, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_set_envelope_from(b, NULL, 0, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_add_to(NULL, "a@b.c", 5, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_add_cc(b, NULL, 5, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_add_bcc(b, NULL, 5, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_add_reply_to(b, NULL, 5, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_set_subject(b, NULL, 1, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_set_text(b, NULL, 1, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_set_html(b, NULL, 1, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_set_message_id(b, NULL, 1, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_set_date(b, NULL, 1, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_set_date_unix(NULL, 0, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_add_header(b, NULL, 1, "v", 1, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_add_header(b, "X-A", 3, NULL, 1, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_add_attachment(b, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL) ==
          E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_add_attachment(b, "a.bin", 5, NULL, 0, NULL, 3, NULL, 0, NULL) ==
          E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_set_sender_policy(b, NULL, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_set_subject(b, "\xc3(", 2, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_build(NULL, &m, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_message_builder_build(b, NULL, NULL) == E365_INVALID_ARGUMENT);
    e365_envelope *env = SENTINEL;
    CHECK(e365_envelope_from_message(NULL, 0, &env, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_envelope_from_message((const uint8_t *)"x", 1, NULL, NULL) == E365_INVALID_ARGUMENT);
    err = NULL;
    const char *no_from = "To: a@example.org\r\n\r\nbody\r\n";
    CHECK(e365_envelope_from_message((const uint8_t *)no_from, strlen(no_from), &env, &err) ==
          E365_INVALID_MESSAGE);
    CHECK(reason_is(err, "no_from"));
    e365_error_free(err);
    CHECK(env == SENTINEL && m == SENTINEL);
    e365_message_builder_free(b);
}

/* A 1 MB To: header of 80,000 distinct addresses: refused by the core's recipient cap
 * (linear de-duplication; no quadratic work on the way). */
static void test_envelope_of_a_1mb_to_header_of_80000_addresses_is_refused_by_the_cap(void) {
    const size_t count = 80000;
    size_t cap = 64 + count * 16, len = 0;
    char *message = malloc(cap);
    CHECK(message != NULL);
    if (message == NULL) {
        return;
    }
    len += (size_t)snprintf(message + len, cap - len, "From: a@example.com\r\nTo: ");
    for (size_t i = 0; i < count; i++) {
        const char *sep = i == 0 ? "" : (i % 60 == 0 ? ",\r\n " : ", ");
        len += (size_t)snprintf(message + len, cap - len, "%su%zu@x.io", sep, i);
    }
    len += (size_t)snprintf(message + len, cap - len, "\r\nSubject: s\r\n\r\nbody\r\n");
    CHECK(len > 1000000);
    e365_envelope *env = SENTINEL;
    e365_error *err = NULL;
    clock_t started = clock();
    CHECK(e365_envelope_from_message((const uint8_t *)message, len, &env, &err) ==
          E365_INVALID_MESSAGE);
    printf("    80,000 addresses (%zu bytes): refused in %.1f ms of CPU time\n", len,
           1000.0 * (double)(clock() - started) / CLOCKS_PER_SEC);
    CHECK(reason_is(err, "too_many_recipients"));
    CHECK(env == SENTINEL);
    e365_error_free(err);
    free(message);
}

/* --- SMTP options, client, pool and status client: arguments (sends: tests/test_smtp.c) -- */

static e365_smtp_options *new_options(void) {
    e365_smtp_options *o = NULL;
    CHECK(e365_smtp_options_new("127.0.0.1", 9, &o, NULL) == E365_OK);
    return o;
}

/* Every setter: NULL options, a value out of range (the error kind and reason), and the
 * success path. A failing setter leaves the options as they were. */
static void test_smtp_options_setters(void) {
    e365_error *err = NULL;
    e365_smtp_options *o = SENTINEL;
    CHECK(e365_smtp_options_new(NULL, 0, &o, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "null_argument") && o == SENTINEL);
    e365_error_free(err);
    err = NULL;
    CHECK(e365_smtp_options_new("h\xff", 2, &o, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "invalid_utf8") && o == SENTINEL);
    e365_error_free(err);
    CHECK(e365_smtp_options_new("h", 1, NULL, NULL) == E365_INVALID_ARGUMENT);
    o = new_options();

    const uint32_t bad_ports[] = {0, 65536, 4000000000u};
    for (size_t i = 0; i < sizeof bad_ports / sizeof bad_ports[0]; i++) {
        err = NULL;
        CHECK(e365_smtp_options_set_port(o, bad_ports[i], &err) == E365_INVALID_ARGUMENT);
        CHECK(e365_error_kind(err) == E365_INVALID_ARGUMENT && reason_is(err, "invalid_port"));
        e365_error_free(err);
    }
    CHECK(e365_smtp_options_set_port(o, 587, NULL) == E365_OK);
    CHECK(e365_smtp_options_set_port(o, 65535, NULL) == E365_OK);
    err = NULL;
    CHECK(e365_smtp_options_set_tls_mode(o, 7, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "unknown_tls_mode"));
    e365_error_free(err);
    CHECK(e365_smtp_options_set_tls_mode(o, E365_TLS_IMPLICIT, NULL) == E365_OK);
    err = NULL;
    CHECK(e365_smtp_options_set_auth_mechanism(o, 5, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "unknown_auth_mechanism"));
    e365_error_free(err);
    CHECK(e365_smtp_options_set_auth_mechanism(o, E365_AUTH_LOGIN, NULL) == E365_OK);
    err = NULL;
    CHECK(e365_smtp_options_set_credentials(o, "user", 4, NULL, 0, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "null_argument"));
    e365_error_free(err);
    CHECK(e365_smtp_options_set_credentials(o, "user", 4, "secret", 6, NULL) == E365_OK);
    err = NULL;
    CHECK(e365_smtp_options_set_ca_file(o, "/nonexistent/ca.pem", 19, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "ca_file"));
    e365_error_free(err);
    CHECK(e365_smtp_options_set_ca_file(o, NULL, 0, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_options_set_system_roots(o, false, NULL) == E365_OK);
    CHECK(e365_smtp_options_set_server_name(o, NULL, 0, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_options_set_server_name(o, "mx.example.net", 14, NULL) == E365_OK);
    err = NULL;
    /* An EHLO name with a space would inject a second argument: the core refuses it. */
    CHECK(e365_smtp_options_set_ehlo_name(o, "a b", 3, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "command_injection"));
    e365_error_free(err);
    CHECK(e365_smtp_options_set_ehlo_name(o, "client.example.com", 18, NULL) == E365_OK);
    CHECK(e365_smtp_options_set_pipelining(o, false, NULL) == E365_OK);
    CHECK(e365_smtp_options_set_chunking(o, false, NULL) == E365_OK);
    err = NULL;
    CHECK(e365_smtp_options_set_window(o, 0, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "invalid_window"));
    e365_error_free(err);
    CHECK(e365_smtp_options_set_window(o, 4, NULL) == E365_OK);
    err = NULL;
    CHECK(e365_smtp_options_set_max_connections(o, 0, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "invalid_max_connections"));
    e365_error_free(err);
    CHECK(e365_smtp_options_set_max_connections(o, 8, NULL) == E365_OK);
    err = NULL;
    CHECK(e365_smtp_options_set_timeout_ms(o, 99, 1000, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "invalid_timeout_step"));
    e365_error_free(err);
    err = NULL;
    CHECK(e365_smtp_options_set_timeout_ms(o, E365_TIMEOUT_STEP_COMMAND, 0, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "invalid_timeout"));
    e365_error_free(err);
    const uint32_t steps[] = {E365_TIMEOUT_STEP_CONNECT, E365_TIMEOUT_STEP_GREETING, E365_TIMEOUT_STEP_COMMAND,
                              E365_TIMEOUT_STEP_DATA_WRITE, E365_TIMEOUT_STEP_DATA_END};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        CHECK(e365_smtp_options_set_timeout_ms(o, steps[i], 1500, NULL) == E365_OK);
    }
    CHECK(e365_smtp_options_set_sender_policy(o, NULL, NULL) == E365_OK);
    CHECK(e365_smtp_options_set_log(o, NULL, NULL, NULL) == E365_OK);

    /* NULL options: every setter says so (null_argument). */
    err = NULL;
    CHECK(e365_smtp_options_set_port(NULL, 25, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "null_argument"));
    e365_error_free(err);
    CHECK(e365_smtp_options_set_tls_mode(NULL, 0, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_options_set_auth_mechanism(NULL, 0, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_options_set_credentials(NULL, "u", 1, "p", 1, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_options_set_ca_file(NULL, "x", 1, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_options_set_system_roots(NULL, true, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_options_set_server_name(NULL, "x", 1, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_options_set_ehlo_name(NULL, "x", 1, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_options_set_pipelining(NULL, true, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_options_set_chunking(NULL, true, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_options_set_window(NULL, 1, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_options_set_max_connections(NULL, 1, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_options_set_timeout_ms(NULL, 0, 1, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_options_set_sender_policy(NULL, NULL, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_options_set_log(NULL, NULL, NULL, NULL) == E365_INVALID_ARGUMENT);
    e365_smtp_options_free(o);
    e365_smtp_options_free(NULL);
}

static void test_smtp_client_arguments(void) {
    e365_smtp_client *c = SENTINEL;
    e365_error *err = NULL;
    CHECK(e365_smtp_client_connect(NULL, &c, NULL) == E365_INVALID_ARGUMENT);
    e365_smtp_options *o = new_options();
    CHECK(e365_smtp_client_connect(o, NULL, NULL) == E365_INVALID_ARGUMENT);
    /* Credentials without TLS: refused before any connection. */
    CHECK(e365_smtp_options_set_tls_mode(o, E365_TLS_INSECURE_PLAINTEXT, NULL) == E365_OK);
    CHECK(e365_smtp_options_set_credentials(o, "user", 4, "pw", 2, NULL) == E365_OK);
    CHECK(e365_smtp_client_connect(o, &c, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "auth_requires_tls"));
    e365_error_free(err);
    CHECK(c == SENTINEL);
    e365_smtp_options_free(o);

    e365_delivery *d = SENTINEL;
    e365_send_results *r = SENTINEL;
    e365_str none = {NULL, 0};
    CHECK(e365_smtp_client_send(NULL, NULL, &d, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_client_send_raw(NULL, none, NULL, 0, NULL, 0, &d, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_client_send_many(NULL, NULL, 0, &r, NULL) == E365_INVALID_ARGUMENT);
    CHECK(d == SENTINEL && r == SENTINEL);
    /* Closing NULL, or a client already closed, does nothing. */
    e365_smtp_client *closed = NULL;
    CHECK(e365_smtp_client_close(&closed, NULL) == E365_OK);
    CHECK(e365_smtp_client_close(NULL, NULL) == E365_OK);
    e365_smtp_client_free(NULL);
    e365_delivery_free(NULL);
    e365_send_results_free(NULL);
    /* Accessors of NULL give neutral values. */
    CHECK(e365_delivery_notification_id(NULL).data == NULL);
    CHECK(e365_delivery_final_code(NULL) == 0 && e365_delivery_final_reply(NULL).data == NULL);
    CHECK(e365_delivery_final_enhanced(NULL).data == NULL && e365_delivery_transactions(NULL) == 0);
    CHECK(e365_delivery_final_text(NULL).data == NULL);
    CHECK(e365_delivery_accepted_len(NULL) == 0 && e365_delivery_accepted(NULL, 0) == NULL);
    CHECK(e365_delivery_rejected_len(NULL) == 0 && e365_delivery_rejected(NULL, 0) == NULL);
    CHECK(e365_recipient_reply_recipient(NULL).data == NULL && e365_recipient_reply_code(NULL) == 0);
    CHECK(e365_recipient_reply_enhanced(NULL).data == NULL && e365_recipient_reply_text(NULL).data == NULL);
    CHECK(e365_send_results_len(NULL) == 0 && e365_send_results_code(NULL, 0) == E365_INVALID_ARGUMENT);
    CHECK(e365_send_results_delivery(NULL, 0) == NULL && e365_send_results_error(NULL, 0) == NULL);
}

static void test_outgoing_arguments(void) {
    e365_outgoing *o = SENTINEL;
    e365_str from = {"a@example.com", 13}, none = {NULL, 0};
    e365_str to[1] = {{"b@example.org", 13}};
    const char *bytes = "Subject: x\r\n\r\nHi\r\n";
    e365_error *err = NULL;
    CHECK(e365_outgoing_new(none, to, 1, (const uint8_t *)bytes, strlen(bytes), &o, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "null_argument"));
    e365_error_free(err);
    CHECK(e365_outgoing_new(from, NULL, 1, (const uint8_t *)bytes, strlen(bytes), &o, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_outgoing_new(from, to, 1, NULL, 0, &o, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_outgoing_new(from, to, 1, (const uint8_t *)bytes, strlen(bytes), NULL, NULL) == E365_INVALID_ARGUMENT);
    CHECK(o == SENTINEL);
    o = NULL;
    CHECK(e365_outgoing_new(from, to, 1, (const uint8_t *)bytes, strlen(bytes), &o, NULL) == E365_OK);
    const e365_outgoing *list[2] = {o, NULL};
    e365_send_results *r = SENTINEL;
    CHECK(e365_smtp_client_send_many_raw(NULL, list, 1, &r, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_pool_send_many_raw(NULL, list, 1, &r, NULL) == E365_INVALID_ARGUMENT);
    CHECK(r == SENTINEL);
    e365_outgoing_free(o);
    e365_outgoing_free(NULL);
}

static void test_smtp_pool_arguments(void) {
    e365_smtp_pool *p = SENTINEL;
    CHECK(e365_smtp_pool_new(NULL, &p, NULL) == E365_INVALID_ARGUMENT);
    e365_smtp_options *o = new_options();
    CHECK(e365_smtp_pool_new(o, NULL, NULL) == E365_INVALID_ARGUMENT);
    CHECK(p == SENTINEL);
    CHECK(e365_smtp_options_set_max_connections(o, 4, NULL) == E365_OK);
    p = NULL;
    CHECK(e365_smtp_pool_new(o, &p, NULL) == E365_OK); /* connects on first use */
    e365_smtp_options_free(o);
    e365_delivery *d = SENTINEL;
    e365_send_results *r = SENTINEL;
    e365_str none = {NULL, 0};
    CHECK(e365_smtp_pool_send(p, NULL, &d, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_pool_send(NULL, NULL, &d, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_smtp_pool_send_raw(p, none, NULL, 0, NULL, 0, &d, NULL) == E365_INVALID_ARGUMENT);
    const e365_message *nulls[2] = {NULL, NULL};
    e365_error *err = NULL;
    CHECK(e365_smtp_pool_send_many(p, nulls, 2, &r, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "null_argument"));
    e365_error_free(err);
    CHECK(e365_smtp_pool_send_many(p, NULL, 3, &r, NULL) == E365_INVALID_ARGUMENT);
    CHECK(d == SENTINEL && r == SENTINEL);
    r = NULL;
    CHECK(e365_smtp_pool_send_many(p, NULL, 0, &r, NULL) == E365_OK);
    CHECK(e365_send_results_len(r) == 0);
    e365_send_results_free(r);
    const e365_outgoing *no_items[1] = {NULL};
    r = SENTINEL;
    CHECK(e365_smtp_pool_send_many_raw(p, no_items, 1, &r, NULL) == E365_INVALID_ARGUMENT);
    CHECK(r == SENTINEL);
    e365_smtp_pool_close(p);
    e365_smtp_pool_close(NULL);
    e365_smtp_pool_free(p);
    e365_smtp_pool_free(NULL);
}

/* --- SMTP step deadlines against a scripted server (a forked child on loopback) ------- */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes `text` one byte per 0.5 s, stopping once the client is gone. */
static void drip(int fd, const char *text) {
    struct timespec half = {0, 500000000L};
    for (size_t i = 0; text[i] != '\0'; i++) {
        if (send(fd, text + i, 1, MSG_NOSIGNAL) != 1) {
            return;
        }
        nanosleep(&half, NULL);
    }
}

/* Reads up to and including the next LF (or EOF). */
static void read_line(int fd) {
    char c = 0;
    while (read(fd, &c, 1) == 1 && c != '\n') {
    }
}

/* A child process on 127.0.0.1 that accepts one connection, sends `before` at once,
 * reads one line if `before` is not empty, then drips `dripped`. Returns its pid and
 * writes the port. */
static pid_t scripted_server(const char *before, const char *dripped, uint16_t *port) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &len) != 0) {
        return -1;
    }
    *port = ntohs(a.sin_port);
    pid_t pid = fork();
    if (pid == 0) {
        int c = accept(l, NULL, NULL);
        if (before[0] != '\0') {
            if (send(c, before, strlen(before), MSG_NOSIGNAL) < 0) {
                _exit(0);
            }
            read_line(c);
        }
        drip(c, dripped);
        pause(); /* until the parent kills it */
        _exit(0);
    }
    close(l);
    return pid;
}

/* Options for a plaintext server on 127.0.0.1:`port` with every step limited to `ms`. */
static e365_smtp_options *plaintext_options(uint16_t port, uint32_t ms) {
    e365_smtp_options *o = NULL;
    CHECK(e365_smtp_options_new("127.0.0.1", 9, &o, NULL) == E365_OK);
    CHECK(e365_smtp_options_set_port(o, port, NULL) == E365_OK);
    CHECK(e365_smtp_options_set_tls_mode(o, E365_TLS_INSECURE_PLAINTEXT, NULL) == E365_OK);
    for (uint32_t step = E365_TIMEOUT_STEP_CONNECT; step <= E365_TIMEOUT_STEP_DATA_END; step++) {
        CHECK(e365_smtp_options_set_timeout_ms(o, step, ms, NULL) == E365_OK);
    }
    return o;
}

/* Connects (plaintext, every step limited to 1 s) to a server dripping `dripped`; the
 * call must fail with E365_TIMEOUT and `reason` within the limit plus a second. */
static void expect_timeout_against(const char *before, const char *dripped, const char *reason) {
    uint16_t port = 0;
    pid_t pid = scripted_server(before, dripped, &port);
    CHECK(pid > 0);
    if (pid <= 0) {
        return;
    }
    e365_smtp_options *o = plaintext_options(port, 1000);
    e365_smtp_client *c = SENTINEL;
    e365_error *err = NULL;
    double started = now_seconds();
    CHECK(e365_smtp_client_connect(o, &c, &err) == E365_TIMEOUT);
    double took = now_seconds() - started;
    e365_smtp_options_free(o);
    CHECK(took < 2.0);
    CHECK(reason_is(err, reason));
    CHECK(c == SENTINEL);
    e365_error_free(err);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void test_smtp_greeting_dripped_one_byte_per_half_second_times_out(void) {
    expect_timeout_against("", "220 mx.test ESMTP a greeting that takes a while\r\n", "greeting");
}

static void test_smtp_ehlo_reply_dripped_one_byte_per_half_second_times_out(void) {
    expect_timeout_against("220 mx.test ESMTP\r\n", "250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
                           "reply");
}

static void test_smtp_insecure_plaintext_to_a_remote_host_is_refused(void) {
    e365_smtp_options *o = NULL;
    CHECK(e365_smtp_options_new("192.0.2.1", 9, &o, NULL) == E365_OK);
    CHECK(e365_smtp_options_set_tls_mode(o, E365_TLS_INSECURE_PLAINTEXT, NULL) == E365_OK);
    e365_smtp_client *c = SENTINEL;
    e365_error *err = NULL;
    CHECK(e365_smtp_client_connect(o, &c, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "plaintext_not_loopback"));
    CHECK(c == SENTINEL);
    e365_error_free(err);
    e365_smtp_options_free(o);
}

/* A plaintext SMTP server in a child process, for one connection: answers every command
 * with 250 (EHLO with PIPELINING), QUIT with 221, and exits with the number of MAIL
 * commands it received. Returns its port, or 0. */
static uint16_t serve_counting_mail(pid_t *child) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 1) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &alen) != 0) {
        return 0;
    }
    *child = fork();
    if (*child != 0) {
        close(ls);
        return *child > 0 ? ntohs(a.sin_port) : 0;
    }
    int c = accept(ls, NULL, NULL);
    int mails = 0;
    char line[1024];
    size_t used = 0;
    const char *greeting = "220 mx.test ESMTP\r\n";
    if (c < 0 || write(c, greeting, strlen(greeting)) < 0) {
        _exit(100);
    }
    for (;;) {
        ssize_t n = read(c, line + used, sizeof line - used - 1);
        if (n <= 0) {
            _exit(mails);
        }
        used += (size_t)n;
        line[used] = '\0';
        char *end;
        while ((end = strstr(line, "\r\n")) != NULL) {
            *end = '\0';
            const char *reply = "250 ok\r\n";
            if (strncmp(line, "EHLO", 4) == 0) {
                reply = "250-mx.test\r\n250 PIPELINING\r\n";
            } else if (strncmp(line, "MAIL", 4) == 0) {
                mails++;
            } else if (strncmp(line, "QUIT", 4) == 0) {
                reply = "221 bye\r\n";
            }
            if (write(c, reply, strlen(reply)) < 0 || strncmp(line, "QUIT", 4) == 0) {
                _exit(mails);
            }
            size_t rest = used - (size_t)(end + 2 - line);
            memmove(line, end + 2, rest + 1);
            used = rest;
        }
        if (used >= sizeof line - 1) {
            _exit(101);
        }
    }
}

/* A relay that strips NUL would read CRLF NUL "." CRLF as the end of the data and run the
 * rest as commands: NUL in raw bytes is refused before MAIL FROM is written. */
static void test_smtp_send_raw_nul_smuggled_end_of_data_is_refused_before_mail(void) {
    pid_t child = 0;
    uint16_t port = serve_counting_mail(&child);
    CHECK(port != 0);
    if (port == 0) {
        return;
    }
    e365_smtp_options *o = plaintext_options(port, 5000);
    e365_smtp_client *c = NULL;
    e365_error *err = NULL;
    CHECK(e365_smtp_client_connect(o, &c, &err) == E365_OK);
    e365_smtp_options_free(o);
    e365_error_free(err);
    err = NULL;
    static const uint8_t raw[] =
        "Subject: nul\r\n\r\nbefore\r\n\0.\r\nMAIL FROM:<evil@example.net>\r\nDATA\r\nafter\r\n";
    e365_str to = text("a@example.org");
    e365_delivery *d = SENTINEL;
    CHECK(e365_smtp_client_send_raw(c, text("shop@example.com"), &to, 1, raw, sizeof raw - 1, &d, &err) ==
          E365_INVALID_MESSAGE);
    CHECK(reason_is(err, "control_char"));
    CHECK(d == SENTINEL);
    e365_error_free(err);
    CHECK(e365_smtp_client_close(&c, NULL) == E365_OK);
    int status = -1;
    CHECK(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0); /* the server received no MAIL */
}

static void test_status_client_arguments(void) {
    e365_status_client_options o;
    memset(&o, 0, sizeof o);
    o.account_id = text("caas_email12345");
    o.username = text("user");
    o.password = text("pass");
    o.base_url = text("http://127.0.0.1:9");
    o.connect_timeout_ms = 1000;
    e365_status_client *c = SENTINEL;
    e365_error *err = NULL;
    CHECK(e365_status_client_new(NULL, &c, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_status_client_new(&o, NULL, NULL) == E365_INVALID_ARGUMENT);
    o.password.data = NULL;
    CHECK(e365_status_client_new(&o, &c, NULL) == E365_INVALID_ARGUMENT);
    o.password = text("pass");
    o.region = text("EU");
    CHECK(e365_status_client_new(&o, &c, &err) == E365_INVALID_ARGUMENT);
    e365_error_free(err);
    o.region.data = NULL;
    CHECK(c == SENTINEL);
    c = NULL;
    CHECK(e365_status_client_new(&o, &c, NULL) == E365_OK);
    e365_notification *n = SENTINEL;
    CHECK(e365_status_client_get(NULL, "1", 1, NULL, 0, &n, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_status_client_get(c, NULL, 1, NULL, 0, &n, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_status_client_get(c, "1", 1, NULL, 0, NULL, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_status_client_get(c, "1", 1, "\xff", 1, &n, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_status_client_wait(NULL, "1", 1, NULL, 0, 10, &n, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_status_client_wait(c, NULL, 1, NULL, 0, 10, &n, NULL) == E365_INVALID_ARGUMENT);
    CHECK(e365_status_client_wait(c, "1", 1, NULL, 0, 10, NULL, NULL) == E365_INVALID_ARGUMENT);
    /* An invalid id is refused before any request reaches the network. */
    err = NULL;
    CHECK(e365_status_client_get(c, "1/2", 3, NULL, 0, &n, &err) == E365_INVALID_ARGUMENT);
    CHECK(reason_is(err, "invalid_notification_id"));
    e365_error_free(err);
    CHECK(n == SENTINEL);
    e365_status_client_free(c);
    e365_status_client_free(NULL);
}

int main(void) {
    RUN(test_version);
    RUN(test_result_names);
    RUN(test_error_accessors_of_null);
    RUN(test_error_object_of_a_parse_error);
    RUN(test_address_parse);
    RUN(test_address_refused);
    RUN(test_address_bad_arguments);
    RUN(test_sender_policy);
    RUN(test_reply_classify);
    RUN(test_reply_classify_refused);
    RUN(test_reply_classify_code);
    RUN(test_notification_id);
    RUN(test_status_request);
    RUN(test_status_request_refused);
    RUN(test_status_parse);
    RUN(test_status_parse_refused);
    RUN(test_status_polling);
    RUN(test_status_http_error);
    RUN(test_message_build);
    RUN(test_message_sender_and_null_reverse_path);
    RUN(test_message_refused);
    RUN(test_envelope_of_a_1mb_to_header_of_80000_addresses_is_refused_by_the_cap);
    RUN(test_smtp_options_setters);
    RUN(test_smtp_client_arguments);
    RUN(test_smtp_pool_arguments);
    RUN(test_outgoing_arguments);
    RUN(test_status_client_arguments);
    RUN(test_smtp_greeting_dripped_one_byte_per_half_second_times_out);
    RUN(test_smtp_ehlo_reply_dripped_one_byte_per_half_second_times_out);
    RUN(test_smtp_send_raw_nul_smuggled_end_of_data_is_refused_before_mail);
    RUN(test_smtp_insecure_plaintext_to_a_remote_host_is_refused);
    return SUMMARY();
}
