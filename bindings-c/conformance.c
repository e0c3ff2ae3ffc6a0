/*
 * The C conformance driver of email365 (docs/ARCHITECTURE.md, "The conformance protocol"): one JSON
 * request a line on stdin, one JSON answer a line on stdout, every op mapped through the
 * C API exactly as tests/conformance/src/ maps it through the Rust API.
 *
 * JSON is read and written with jansson (strings keep embedded NULs: JSON_ALLOW_NUL,
 * json_string_length, json_stringn); lines of any length are read with getline.
 */
#define _POSIX_C_SOURCE 200809L

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "email365.h"

/* An answer: exactly one of ok / error / unsupported is set (`unsupported` would say why
 * the driver cannot run a request, which run_vectors.py counts as skipped; every op runs
 * today, so it stays NULL). */
typedef struct {
    json_t *ok;
    json_t *error;
    const char *unsupported;
} answer;

static json_t *opt_string(e365_str s) {
    return s.data ? json_stringn(s.data, s.len) : json_null();
}

/* {code, enhanced, text, recipient}: an SMTP reply carried by an error. */
static json_t *error_reply_json(const e365_smtp_reply *r) {
    return json_pack("{s:i, s:o, s:o, s:o}", "code", (int)r->code, "enhanced",
                     opt_string(r->enhanced), "text", opt_string(r->text), "recipient",
                     opt_string(r->recipient));
}

/* {"kind", "reason", "message", "position", "transient", "reply", "replies"} of a library
 * error (not consumed); `rc` names the kind when there is no error object. */
static json_t *error_json(e365_result rc, const e365_error *err) {
    size_t n = 0;
    const e365_smtp_reply *replies = e365_error_replies(err, &n);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, error_reply_json(&replies[i]));
    }
    const char *kind = e365_result_name(e365_error_kind(err) ? e365_error_kind(err) : rc);
    const char *reason = e365_error_reason(err);
    e365_str message = e365_error_message(err);
    size_t position = 0;
    int has_position = e365_error_position(err, &position);
    return json_pack("{s:s, s:o, s:o, s:o, s:b, s:o, s:o}", "kind", kind ? kind : "internal",
                     "reason", reason ? json_string(reason) : json_null(), "message",
                     message.data ? json_stringn(message.data, message.len)
                                  : json_string("(no error object)"),
                     "position", has_position ? json_integer((json_int_t)position) : json_null(),
                     "transient", e365_error_transient(err), "reply",
                     n ? error_reply_json(&replies[0]) : json_null(), "replies", list);
}

/* The answer of a library error (consumed). */
static answer from_error(e365_result rc, e365_error *err) {
    answer a = {NULL, NULL, NULL};
    a.error = error_json(rc, err);
    e365_error_free(err);
    return a;
}

/* A driver-level error (the argument reading of args.rs). */
static answer driver_error(const char *kind, const char *reason, const char *message) {
    answer a = {NULL, NULL, NULL};
    a.error = json_pack("{s:s, s:o, s:s, s:n, s:b, s:n, s:[]}", "kind", kind, "reason",
                        reason ? json_string(reason) : json_null(), "message", message,
                        "position", "transient", 0, "reply", "replies");
    return a;
}

static answer ok(json_t *value) {
    answer a = {value, NULL, NULL};
    return a;
}

/* --- argument reading, as tests/conformance/src/args.rs ------------------------------ */

typedef enum { ARG_OK, ARG_MISSING, ARG_WRONG_TYPE } arg_status;

/* A string argument: present → *out = {data, len}; absent or null → {NULL, 0}. */
static arg_status get_string(json_t *args, const char *name, e365_str *out) {
    json_t *v = json_object_get(args, name);
    out->data = NULL;
    out->len = 0;
    if (v == NULL || json_is_null(v)) {
        return ARG_MISSING;
    }
    if (!json_is_string(v)) {
        return ARG_WRONG_TYPE;
    }
    out->data = json_string_value(v);
    out->len = json_string_length(v);
    return ARG_OK;
}

static int has(json_t *args, const char *name) {
    json_t *v = json_object_get(args, name);
    return v != NULL && !json_is_null(v);
}

static char message_buf[256];

static answer bad_arg(const char *name, const char *what) {
    snprintf(message_buf, sizeof message_buf, "argument \"%s\" %s", name, what);
    return driver_error("invalid_argument", NULL, message_buf);
}

/* Reads a required string; on failure sets *fail and returns 0. */
static int required(json_t *args, const char *name, e365_str *out, answer *fail) {
    switch (get_string(args, name, out)) {
    case ARG_OK:
        return 1;
    case ARG_MISSING:
        *fail = bad_arg(name, "is required");
        return 0;
    default:
        *fail = bad_arg(name, "must be a string");
        return 0;
    }
}

/* Reads an optional string; on failure sets *fail and returns 0. */
static int optional(json_t *args, const char *name, e365_str *out, answer *fail) {
    if (get_string(args, name, out) == ARG_WRONG_TYPE) {
        *fail = bad_arg(name, "must be a string");
        return 0;
    }
    return 1;
}

/* An optional boolean, false when absent; on failure sets *fail and returns 0. */
static int flag(json_t *args, const char *name, bool *out, answer *fail) {
    json_t *v = json_object_get(args, name);
    *out = false;
    if (v == NULL || json_is_null(v)) {
        return 1;
    }
    if (!json_is_boolean(v)) {
        *fail = bad_arg(name, "must be a boolean");
        return 0;
    }
    *out = json_is_true(v);
    return 1;
}

/* --- NULs in object keys ---------------------------------------------------------------
 * jansson keeps NULs in string values (JSON_ALLOW_NUL) but refuses them in object keys,
 * which serde_json accepts (a header name "X-\u0000" must reach the core and be refused
 * there). Before parsing, each \u0000 escape inside a key is replaced by the escape of a
 * noncharacter that the line does not contain; header names map it back to NUL. */

static char key_marker_utf8[4]; /* the marker's UTF-8 (3 bytes), "" when unused */

static int contains_ci(const char *hay, size_t len, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++) {
        size_t k = 0;
        while (k < n && (hay[i + k] | 0x20) == (needle[k] | 0x20)) {
            k++;
        }
        if (k == n) {
            return 1;
        }
    }
    return 0;
}

/* Rewrites `line` in place (same length: "\u0000" and "\uFDxx" are both 6 bytes). */
static void mark_nul_keys(char *line, size_t len) {
    key_marker_utf8[0] = '\0';
    if (!contains_ci(line, len, "\\u0000")) {
        return;
    }
    char escape[7];
    int found = 0;
    for (unsigned cp = 0xFDD0; cp <= 0xFDEF && !found; cp++) {
        char utf8[4] = {(char)0xEF, (char)(0x80 | ((cp >> 6) & 0x3F)), (char)(0x80 | (cp & 0x3F)), 0};
        snprintf(escape, sizeof escape, "\\u%04X", cp);
        if (!contains_ci(line, len, escape) && !contains_ci(line, len, utf8)) {
            memcpy(key_marker_utf8, utf8, 4);
            found = 1;
        }
    }
    if (!found) {
        return;
    }
    size_t i = 0;
    while (i < len) {
        if (line[i] != '"') {
            i++;
            continue;
        }
        size_t start = ++i;
        while (i < len && line[i] != '"') {
            i += line[i] == '\\' ? 2 : 1;
        }
        size_t end = i < len ? i : len;
        i++;
        size_t j = i;
        while (j < len && (line[j] == ' ' || line[j] == '\t' || line[j] == '\r' || line[j] == '\n')) {
            j++;
        }
        if (j >= len || line[j] != ':') {
            continue; /* a value, not a key */
        }
        for (size_t k = start; k + 6 <= end; k++) {
            if (line[k] == '\\' && line[k + 1] == 'u' && memcmp(line + k + 2, "0000", 4) == 0) {
                memcpy(line + k, escape, 6);
                k += 5;
            } else if (line[k] == '\\') {
                k++; /* skip the escaped character */
            }
        }
    }
}

/* A copy of key `k` with the marker turned back into NUL; `*len` gets its length. */
static char *unmark_key(const char *k, size_t *len) {
    size_t n = strlen(k);
    char *out = malloc(n + 1);
    size_t o = 0;
    if (out == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n;) {
        if (key_marker_utf8[0] && i + 3 <= n && memcmp(k + i, key_marker_utf8, 3) == 0) {
            out[o++] = '\0';
            i += 3;
        } else {
            out[o++] = k[i++];
        }
    }
    out[o] = '\0';
    *len = o;
    return out;
}

/* --- ops ----------------------------------------------------------------------------- */

static answer validate_address(json_t *args) {
    answer fail;
    e365_str address, mode;
    e365_address_options options = {0};
    if (!required(args, "address", &address, &fail) || !optional(args, "mode", &mode, &fail)) {
        return fail;
    }
    if (mode.data == NULL || (mode.len == 8 && memcmp(mode.data, "envelope", 8) == 0)) {
        options.mode = E365_ADDRESS_MODE_ENVELOPE;
    } else if (mode.len == 6 && memcmp(mode.data, "header", 6) == 0) {
        options.mode = E365_ADDRESS_MODE_HEADER;
    } else {
        return bad_arg("mode", "must be \"envelope\" or \"header\"");
    }
    if (!flag(args, "allow_quoted_local", &options.allow_quoted_local, &fail) ||
        !flag(args, "allow_domain_literal", &options.allow_domain_literal, &fail)) {
        return fail;
    }
    e365_address *a = NULL;
    e365_error *err = NULL;
    e365_result rc = e365_address_parse(address.data, address.len, &options, &a, &err);
    if (rc != E365_OK) {
        return from_error(rc, err);
    }
    json_t *result = json_pack("{s:o, s:o, s:o, s:o, s:b}", "local", opt_string(a->local),
                               "domain", opt_string(a->domain), "ascii_domain",
                               opt_string(a->ascii_domain), "display_name",
                               opt_string(a->display_name), "smtputf8", a->smtputf8);
    e365_address_free(a);
    return ok(result);
}

static json_t *classification_json(const e365_classification *c) {
    return json_pack("{s:i, s:o, s:o, s:o, s:b, s:o}", (const char *)"code", (int)c->code,
                     "enhanced", opt_string(c->enhanced), "severity",
                     opt_string(c->severity_name), "category", opt_string(c->category_name),
                     "retry", c->retry, "description", opt_string(c->description));
}

static answer classify_reply(json_t *args) {
    answer fail;
    e365_str command, reply, enhanced;
    e365_classification *c = NULL;
    e365_error *err = NULL;
    e365_result rc;
    if (!optional(args, "command", &command, &fail)) {
        return fail;
    }
    if (has(args, "reply")) {
        if (has(args, "code") || has(args, "enhanced")) {
            return driver_error("invalid_argument", NULL,
                                "give either \"reply\" or \"code\" (with \"enhanced\"), not both");
        }
        if (!required(args, "reply", &reply, &fail)) {
            return fail;
        }
        rc = e365_reply_classify(reply.data, reply.len, command.data, command.len, &c, &err);
    } else {
        json_t *code = json_object_get(args, "code");
        if (code == NULL || json_is_null(code)) {
            return driver_error("invalid_argument", NULL,
                                "argument \"reply\" or \"code\" is required");
        }
        if (json_is_integer(code) && json_integer_value(code) < 0) {
            snprintf(message_buf, sizeof message_buf, "%lld is not an SMTP reply code",
                     (long long)json_integer_value(code));
            return driver_error("invalid_reply", "bad_code", message_buf);
        }
        if (json_is_real(code)) {
            snprintf(message_buf, sizeof message_buf, "%.17g is not an SMTP reply code",
                     json_real_value(code));
            return driver_error("invalid_reply", "bad_code", message_buf);
        }
        if (!json_is_integer(code)) {
            return driver_error("invalid_argument", NULL, "argument \"code\" must be an integer");
        }
        if (!optional(args, "enhanced", &enhanced, &fail)) {
            return fail;
        }
        rc = e365_reply_classify_code((uint64_t)json_integer_value(code), enhanced.data,
                                      enhanced.len, command.data, command.len, &c, &err);
    }
    if (rc != E365_OK) {
        return from_error(rc, err);
    }
    json_t *result = classification_json(c);
    e365_classification_free(c);
    return ok(result);
}

static answer extract_notification_id(json_t *args) {
    answer fail;
    e365_str reply;
    if (!required(args, "reply", &reply, &fail)) {
        return fail;
    }
    char *id = NULL;
    e365_error *err = NULL;
    e365_result rc = e365_notification_id_extract(reply.data, reply.len, &id, &err);
    if (rc != E365_OK) {
        return from_error(rc, err);
    }
    json_t *result = json_pack("{s:o}", "notification_id", id ? json_string(id) : json_null());
    e365_string_free(id);
    return ok(result);
}

static answer status_request(json_t *args) {
    answer fail;
    e365_status_query q;
    memset(&q, 0, sizeof q);
    if (!required(args, "account_id", &q.account_id, &fail) ||
        !required(args, "notification_id", &q.notification_id, &fail) ||
        !optional(args, "recipient", &q.recipient, &fail) ||
        !optional(args, "region", &q.region, &fail) ||
        !optional(args, "base_url", &q.base_url, &fail) ||
        !required(args, "username", &q.username, &fail) ||
        !required(args, "password", &q.password, &fail)) {
        return fail;
    }
    e365_status_request *r = NULL;
    e365_error *err = NULL;
    e365_result rc = e365_status_request_build(&q, &r, &err);
    if (rc != E365_OK) {
        return from_error(rc, err);
    }
    json_t *result = json_pack("{s:o, s:o, s:{s:o, s:o}}", "method", opt_string(r->method), "url",
                               opt_string(r->url), "headers", "authorization",
                               opt_string(r->authorization), "accept", opt_string(r->accept));
    e365_status_request_free(r);
    return ok(result);
}

/* A whole number >= 0 (absent or null: *present = 0), as args.rs reads integers. */
static int opt_whole(json_t *args, const char *name, uint64_t max, uint64_t *out, int *present,
                     answer *fail) {
    json_t *v = json_object_get(args, name);
    *present = 0;
    if (v == NULL || json_is_null(v)) {
        return 1;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) > max) {
        *fail = bad_arg(name, "must be a whole number in range");
        return 0;
    }
    *out = (uint64_t)json_integer_value(v);
    *present = 1;
    return 1;
}

static answer status_http_error(json_t *args) {
    answer fail;
    uint64_t status = 0;
    uint64_t now_ms = 0;
    int has_status = 0;
    int has_now = 0;
    e365_http_answer in;
    memset(&in, 0, sizeof in);
    if (!opt_whole(args, "status", 65535, &status, &has_status, &fail) ||
        !opt_whole(args, "now_ms", UINT64_MAX, &now_ms, &has_now, &fail) ||
        !optional(args, "retry_after", &in.retry_after, &fail)) {
        return fail;
    }
    if (!has_status) {
        return bad_arg("status", "must be a whole number from 0 to 65535");
    }
    in.status = (uint16_t)status;
    in.now_ms = has_now ? &now_ms : NULL;
    /* The URL, body and credentials only shape the message, which vectors never compare. */
    e365_http_verdict v;
    e365_error *err = NULL;
    e365_result rc = e365_status_http_error(&in, &v, &err);
    if (rc != E365_OK) {
        return from_error(rc, err);
    }
    if (v.error == NULL) {
        return ok(json_null());
    }
    const char *kind = e365_result_name(e365_error_kind(v.error));
    const char *reason = e365_error_reason(v.error);
    json_t *result = json_pack(
        "{s:s, s:o, s:b, s:o}", "kind", kind ? kind : "internal", "reason",
        reason ? json_string(reason) : json_null(), "transient", e365_error_transient(v.error),
        "retry_after_ms",
        v.has_retry_after ? json_integer((json_int_t)v.retry_after_ms) : json_null());
    e365_error_free(v.error);
    return ok(result);
}

/* The step of a poller as the vectors write it (frees what the step owns). */
static json_t *poll_step_json(e365_poll_step *s) {
    switch (s->action) {
    case E365_POLL_FETCH:
        return json_pack("{s:s, s:o}", "action", "fetch", "time_limit_ms",
                         s->has_time_limit ? json_integer((json_int_t)s->time_limit_ms)
                                           : json_null());
    case E365_POLL_SLEEP:
        return json_pack("{s:s, s:I}", "action", "sleep", "ms", (json_int_t)s->sleep_ms);
    case E365_POLL_DONE:
        e365_notification_free(s->notification);
        return json_pack("{s:s}", "action", "done");
    default: {
        const char *kind = e365_result_name(e365_error_kind(s->error));
        const char *reason = e365_error_reason(s->error);
        json_t *j = json_pack("{s:s, s:s, s:o, s:b}", "action", "give_up", "kind",
                              kind ? kind : "internal", "reason",
                              reason ? json_string(reason) : json_null(), "transient",
                              e365_error_transient(s->error));
        e365_error_free(s->error);
        return j;
    }
    }
}

/* Records one script item's outcome, if any, on the poller. */
static int poll_record(e365_status_poller *p, json_t *item, answer *fail) {
    static const char url[] = "https://eu.email.sdi.sinch.com/v1/a/notifications/id/1";
    json_t *a = json_object_get(item, "answer");
    e365_error *err = NULL;
    e365_result rc = E365_OK;
    if (a != NULL && !json_is_null(a)) {
        uint64_t status = 0, now_ms = 0;
        int has_status = 0, has_now = 0;
        e365_http_answer in;
        memset(&in, 0, sizeof in);
        if (!json_is_object(a) || !opt_whole(a, "status", 65535, &status, &has_status, fail) ||
            !opt_whole(a, "now_ms", UINT64_MAX, &now_ms, &has_now, fail) ||
            !optional(a, "retry_after", &in.retry_after, fail) ||
            !optional(a, "body", &in.body, fail)) {
            if (!json_is_object(a)) {
                *fail = bad_arg("answer", "must be an object");
            }
            return 0;
        }
        if (!has_status) {
            *fail = bad_arg("status", "must be a whole number from 0 to 65535");
            return 0;
        }
        in.status = (uint16_t)status;
        in.now_ms = has_now ? &now_ms : NULL;
        in.url = (e365_str){url, sizeof url - 1};
        in.username = (e365_str){"user", 4};
        in.password = (e365_str){"password", 8};
        rc = e365_status_poller_record_answer(p, &in, NULL, &err);
    } else {
        e365_str failure;
        if (!optional(item, "failure", &failure, fail)) {
            return 0;
        }
        if (failure.data != NULL) {
            rc = e365_status_poller_record_failure(p, failure.data, failure.len,
                                                   (e365_str){url, sizeof url - 1},
                                                   (e365_str){NULL, 0}, &err);
        }
    }
    if (rc != E365_OK) {
        *fail = from_error(rc, err);
        return 0;
    }
    return 1;
}

static answer status_poll(json_t *args) {
    answer fail;
    e365_str id, recipient;
    uint64_t deadline = 0;
    int has_deadline = 0;
    if (!required(args, "notification_id", &id, &fail) ||
        !optional(args, "recipient", &recipient, &fail) ||
        !opt_whole(args, "deadline_ms", UINT64_MAX, &deadline, &has_deadline, &fail)) {
        return fail;
    }
    json_t *steps = json_object_get(args, "steps");
    if (!json_is_array(steps)) {
        return bad_arg("steps", "must be a list of objects");
    }
    e365_status_poller *p = NULL;
    e365_error *err = NULL;
    e365_result rc = e365_status_poller_new(id.data, id.len, recipient.data, recipient.len,
                                            has_deadline ? &deadline : NULL, &p, &err);
    if (rc != E365_OK) {
        return from_error(rc, err);
    }
    json_t *out = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(steps, i, item) {
        uint64_t at = 0;
        int has_at = 0;
        if (!json_is_object(item) || !opt_whole(item, "at_ms", UINT64_MAX, &at, &has_at, &fail) ||
            !has_at) {
            if (!json_is_object(item) || !has_at) {
                fail = bad_arg("at_ms", "is required");
            }
            goto failed;
        }
        if (!poll_record(p, item, &fail)) {
            goto failed;
        }
        e365_poll_step step;
        rc = e365_status_poller_next(p, at, &step, &err);
        if (rc != E365_OK) {
            fail = from_error(rc, err);
            goto failed;
        }
        json_array_append_new(out, poll_step_json(&step));
    }
    e365_status_poller_free(p);
    return ok(out);
failed:
    json_decref(out);
    e365_status_poller_free(p);
    return fail;
}

static answer parse_status(json_t *args) {
    answer fail;
    e365_str body;
    if (!required(args, "body", &body, &fail)) {
        return fail;
    }
    e365_notification *n = NULL;
    e365_error *err = NULL;
    e365_result rc = e365_status_parse(body.data, body.len, &n, &err);
    if (rc != E365_OK) {
        return from_error(rc, err);
    }
    json_t *events = json_array();
    for (size_t i = 0; i < n->events_len; i++) {
        const e365_status_event *e = &n->events[i];
        json_array_append_new(
            events, json_pack("{s:o, s:o, s:o, s:o, s:o}", "code", opt_string(e->code), "text",
                              opt_string(e->text), "channel", opt_string(e->channel), "recipient",
                              opt_string(e->recipient), "timestamp", opt_string(e->timestamp)));
    }
    json_t *result = json_pack("{s:b, s:o, s:o}", "found", n->found, "notification_id",
                               opt_string(n->notification_id), "events", events);
    e365_notification_free(n);
    return ok(result);
}

/* --- base64 (RFC 4648, padded, strict like the Rust driver's `STANDARD` engine) ------ */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(unsigned char c) {
    const char *p = c ? strchr(B64, c) : NULL;
    return p ? (int)(p - B64) : -1;
}

/* Decodes `len` bytes of base64 into a new buffer; returns NULL when it is not base64
 * (length not a multiple of 4, a bad character, misplaced padding, non-zero trailing
 * bits). `*out_len` receives the length; the buffer is freed with free(). */
static unsigned char *b64_decode(const char *s, size_t len, size_t *out_len) {
    if (len % 4 != 0) {
        return NULL;
    }
    unsigned char *out = malloc(len / 4 * 3 + 1);
    size_t n = 0;
    if (out == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < len; i += 4) {
        int last = i + 4 == len;
        int pad = 0;
        int v[4];
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)s[i + k];
            if (c == '=' && last && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            v[k] = pad ? -1 : b64_value(c);
            if (v[k] < 0) {
                free(out);
                return NULL;
            }
        }
        if ((pad == 2 && (v[1] & 0x0f) != 0) || (pad == 1 && (v[2] & 0x03) != 0) ||
            (pad == 1 && s[i + 2] == '=')) {
            free(out);
            return NULL;
        }
        uint32_t word = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[n++] = (unsigned char)(word >> 16);
        if (pad < 2) {
            out[n++] = (unsigned char)(word >> 8);
        }
        if (pad < 1) {
            out[n++] = (unsigned char)word;
        }
    }
    *out_len = n;
    return out;
}

/* Encodes `len` bytes as padded base64 into a new JSON string. */
static json_t *b64_encode(const uint8_t *data, size_t len) {
    size_t n = (len + 2) / 3 * 4;
    char *out = malloc(n + 1);
    if (out == NULL) {
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t word = (uint32_t)data[i] << 16;
        if (i + 1 < len) {
            word |= (uint32_t)data[i + 1] << 8;
        }
        if (i + 2 < len) {
            word |= data[i + 2];
        }
        out[o++] = B64[word >> 18 & 63];
        out[o++] = B64[word >> 12 & 63];
        out[o++] = i + 1 < len ? B64[word >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? B64[word & 63] : '=';
    }
    json_t *result = json_stringn(out, o);
    free(out);
    return result;
}

/* --- build_message, as tests/conformance/src/message.rs ----------------------------- */

typedef e365_result (*text_setter)(e365_message_builder *, const char *, size_t, e365_error **);

/* Applies `set` to every string of the list argument `name` (absent = none; a string
 * is accepted only when `single` is set, as for reply_to). Returns 0 and sets *fail on
 * a bad argument or a library error. */
static int each_string(json_t *args, const char *name, int single, e365_message_builder *b,
                       text_setter set, answer *fail) {
    json_t *v = json_object_get(args, name);
    e365_error *err = NULL;
    if (v == NULL || json_is_null(v)) {
        return 1;
    }
    if (single && json_is_string(v)) {
        e365_result rc = set(b, json_string_value(v), json_string_length(v), &err);
        if (rc != E365_OK) {
            *fail = from_error(rc, err);
            return 0;
        }
        return 1;
    }
    if (!json_is_array(v)) {
        *fail = bad_arg(name, "must be a list of strings");
        return 0;
    }
    /* The Rust driver reads the whole list before applying it. */
    for (size_t i = 0; i < json_array_size(v); i++) {
        if (!json_is_string(json_array_get(v, i))) {
            *fail = bad_arg(name, "must hold only strings");
            return 0;
        }
    }
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *item = json_array_get(v, i);
        e365_result rc = set(b, json_string_value(item), json_string_length(item), &err);
        if (rc != E365_OK) {
            *fail = from_error(rc, err);
            return 0;
        }
    }
    return 1;
}

/* A header of the request: its name (NULs restored) and value. */
typedef struct {
    char *name;
    size_t len;
    json_t *value;
} header_arg;

/* Byte order, as Rust's `String` ordering (serde_json's map without preserve_order). */
static int cmp_headers(const void *a, const void *b) {
    const header_arg *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int add_attachments(json_t *args, e365_message_builder *b, answer *fail) {
    json_t *list = json_object_get(args, "attachments");
    if (list == NULL || json_is_null(list)) {
        return 1;
    }
    if (!json_is_array(list)) {
        *fail = bad_arg("attachments", "must be a list of objects");
        return 0;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *item = json_array_get(list, i);
        e365_str content_b64, filename, content_type, inline_id;
        if (!json_is_object(item)) {
            *fail = bad_arg("attachments[i]", "must be an object");
            return 0;
        }
        if (!required(item, "content_base64", &content_b64, fail)) {
            return 0;
        }
        size_t len = 0;
        unsigned char *content = b64_decode(content_b64.data, content_b64.len, &len);
        if (content == NULL) {
            *fail = bad_arg("attachments[i].content_base64", "is not base64");
            return 0;
        }
        if (!required(item, "filename", &filename, fail) ||
            !optional(item, "content_type", &content_type, fail) ||
            !optional(item, "inline_id", &inline_id, fail)) {
            free(content);
            return 0;
        }
        e365_error *err = NULL;
        e365_result rc = e365_message_builder_add_attachment(
            b, filename.data, filename.len, content_type.data, content_type.len, content, len,
            inline_id.data, inline_id.len, &err);
        free(content);
        if (rc != E365_OK) {
            *fail = from_error(rc, err);
            return 0;
        }
    }
    return 1;
}

static int add_headers(json_t *args, e365_message_builder *b, answer *fail) {
    json_t *headers = json_object_get(args, "headers");
    if (headers == NULL || json_is_null(headers)) {
        return 1;
    }
    if (!json_is_object(headers)) {
        *fail = bad_arg("headers", "must be an object of strings");
        return 0;
    }
    /* serde_json's map (no preserve_order) iterates in key order: so does this. */
    size_t n = json_object_size(headers), k = 0;
    header_arg *list = calloc(n ? n : 1, sizeof *list);
    const char *key;
    json_t *value;
    int good = list != NULL;
    if (good) {
        json_object_foreach(headers, key, value) {
            list[k].name = unmark_key(key, &list[k].len);
            list[k].value = value;
            good = good && list[k].name != NULL;
            k++;
        }
    }
    if (!good) {
        *fail = driver_error("internal", NULL, "out of memory");
    } else {
        qsort(list, n, sizeof *list, cmp_headers);
    }
    for (k = 0; k < n && good; k++) {
        if (!json_is_string(list[k].value)) {
            *fail = bad_arg("headers.<name>", "must be a string");
            good = 0;
            break;
        }
        e365_error *err = NULL;
        e365_result rc = e365_message_builder_add_header(b, list[k].name, list[k].len,
                                                         json_string_value(list[k].value),
                                                         json_string_length(list[k].value), &err);
        if (rc != E365_OK) {
            *fail = from_error(rc, err);
            good = 0;
        }
    }
    for (k = 0; list != NULL && k < n; k++) {
        free(list[k].name);
    }
    free(list);
    return good;
}

/* Builds the message that `build_message`'s arguments describe into *out; returns 0 and
 * sets *fail on a bad argument or a library error. */
static int build(json_t *args, e365_message **out, answer *fail_out) {
    answer fail;
    e365_str from, subject, text, html, message_id, date;
    e365_message_builder *b = NULL;
    e365_message *m = NULL;
    e365_error *err = NULL;
    e365_result rc;
    if (!required(args, "from", &from, &fail) || !required(args, "subject", &subject, &fail)) {
        *fail_out = fail;
        return 0;
    }
    if ((rc = e365_message_builder_new(&b, &err)) != E365_OK) {
        *fail_out = from_error(rc, err);
        return 0;
    }
    if ((rc = e365_message_builder_set_from(b, from.data, from.len, &err)) != E365_OK ||
        (rc = e365_message_builder_set_subject(b, subject.data, subject.len, &err)) != E365_OK) {
        fail = from_error(rc, err);
        goto done;
    }
    if (!each_string(args, "to", 0, b, e365_message_builder_add_to, &fail) ||
        !each_string(args, "cc", 0, b, e365_message_builder_add_cc, &fail) ||
        !each_string(args, "bcc", 0, b, e365_message_builder_add_bcc, &fail) ||
        !each_string(args, "reply_to", 1, b, e365_message_builder_add_reply_to, &fail) ||
        !optional(args, "text", &text, &fail)) {
        goto done;
    }
    if (text.data && (rc = e365_message_builder_set_text(b, text.data, text.len, &err)) != E365_OK) {
        fail = from_error(rc, err);
        goto done;
    }
    if (!optional(args, "html", &html, &fail)) {
        goto done;
    }
    if (html.data && (rc = e365_message_builder_set_html(b, html.data, html.len, &err)) != E365_OK) {
        fail = from_error(rc, err);
        goto done;
    }
    if (!add_attachments(args, b, &fail) || !add_headers(args, b, &fail) ||
        !optional(args, "message_id", &message_id, &fail)) {
        goto done;
    }
    if (message_id.data && (rc = e365_message_builder_set_message_id(b, message_id.data,
                                                                      message_id.len, &err)) != E365_OK) {
        fail = from_error(rc, err);
        goto done;
    }
    if (!optional(args, "date", &date, &fail)) {
        goto done;
    }
    if (date.data && (rc = e365_message_builder_set_date(b, date.data, date.len, &err)) != E365_OK) {
        fail = from_error(rc, err);
        goto done;
    }
    if ((rc = e365_message_builder_build(b, &m, &err)) != E365_OK) {
        fail = from_error(rc, err);
        goto done;
    }
    e365_message_builder_free(b);
    *out = m;
    return 1;
done:
    e365_message_builder_free(b);
    *fail_out = fail;
    return 0;
}

static answer build_message(json_t *args) {
    answer fail;
    e365_message *m = NULL;
    if (!build(args, &m, &fail)) {
        return fail;
    }
    json_t *rcpt = json_array();
    for (size_t i = 0; i < m->rcpt_to_len; i++) {
        json_array_append_new(rcpt, opt_string(m->rcpt_to[i]));
    }
    json_t *result = json_pack("{s:o, s:o, s:o, s:I, s:b, s:o}", "mail_from",
                               opt_string(m->mail_from), "rcpt_to", rcpt, "message_id",
                               opt_string(m->message_id), "size", (json_int_t)m->size,
                               "smtputf8", m->smtputf8, "message_base64",
                               b64_encode(m->bytes, m->size));
    e365_message_free(m);
    return ok(result);
}

static answer envelope_from_message(json_t *args) {
    answer fail;
    e365_str encoded;
    if (!required(args, "message_base64", &encoded, &fail)) {
        return fail;
    }
    size_t len = 0;
    unsigned char *bytes = b64_decode(encoded.data, encoded.len, &len);
    if (bytes == NULL) {
        return bad_arg("message_base64", "is not base64");
    }
    e365_envelope *env = NULL;
    e365_error *err = NULL;
    e365_result rc = e365_envelope_from_message(bytes, len, &env, &err);
    free(bytes);
    if (rc != E365_OK) {
        return from_error(rc, err);
    }
    json_t *rcpt = json_array();
    for (size_t i = 0; i < env->rcpt_to_len; i++) {
        json_array_append_new(rcpt, opt_string(env->rcpt_to[i]));
    }
    json_t *result = json_pack("{s:o, s:o, s:o}", "mail_from", opt_string(env->mail_from),
                               "rcpt_to", rcpt, "message_base64",
                               b64_encode(env->bytes, env->bytes_len));
    e365_envelope_free(env);
    return ok(result);
}

/* --- smtp_send and smtp_send_many, as tests/conformance/src/smtp.rs ------------------- */

static json_t *reply_json(uint16_t code, e365_str enhanced, e365_str text) {
    return json_pack("{s:i, s:o, s:o}", "code", (int)code, "enhanced", opt_string(enhanced),
                     "text", opt_string(text));
}

static json_t *recipients_json(const e365_delivery *d, int accepted) {
    json_t *array = json_array();
    size_t n = accepted ? e365_delivery_accepted_len(d) : e365_delivery_rejected_len(d);
    for (size_t i = 0; i < n; i++) {
        const e365_recipient_reply *r =
            accepted ? e365_delivery_accepted(d, i) : e365_delivery_rejected(d, i);
        json_array_append_new(
            array, json_pack("{s:o, s:o}", "recipient", opt_string(e365_recipient_reply_recipient(r)),
                             "reply",
                             reply_json(e365_recipient_reply_code(r), e365_recipient_reply_enhanced(r),
                                        e365_recipient_reply_text(r))));
    }
    return array;
}

/* {notification_id, final_reply: {code, enhanced, text}, accepted, rejected}. */
static json_t *delivery_json(const e365_delivery *d) {
    return json_pack("{s:o, s:o, s:o, s:o}", "notification_id",
                     opt_string(e365_delivery_notification_id(d)), "final_reply",
                     reply_json(e365_delivery_final_code(d), e365_delivery_final_enhanced(d),
                                e365_delivery_final_text(d)),
                     "accepted", recipients_json(d, 1), "rejected", recipients_json(d, 0));
}

static int str_is(e365_str s, const char *name) {
    return s.len == strlen(name) && memcmp(s.data, name, s.len) == 0;
}

/* Applies one option setter's result: 0 and *fail set when it failed. */
static int set(e365_result rc, e365_error *err, answer *fail) {
    if (rc != E365_OK) {
        *fail = from_error(rc, err);
        return 0;
    }
    return 1;
}

/* The client options of smtp.rs's `options` ({host, port, options?}) as a new handle in
 * *out; returns 0 and sets *fail on a bad argument or an option the library refuses.
 * Absent options keep the API's defaults. */
static int smtp_options(json_t *args, e365_smtp_options **out, answer *fail) {
    uint64_t port = 0, ms = 0, window = 0;
    int has_port = 0, has_ms = 0, has_window = 0;
    e365_str host, tls, ca_file, server_name, ehlo_name, username, password;
    e365_smtp_options *o = NULL;
    e365_error *err = NULL;
    json_t *opts = json_object_get(args, "options");
    json_t *empty = NULL;
    int good = 0;
    if (!required(args, "host", &host, fail) ||
        !opt_whole(args, "port", 65535, &port, &has_port, fail)) {
        return 0;
    }
    if (!has_port) {
        *fail = bad_arg("port", "is required");
        return 0;
    }
    if (opts == NULL || json_is_null(opts)) {
        opts = empty = json_object();
    } else if (!json_is_object(opts)) {
        *fail = bad_arg("options", "must be an object");
        return 0;
    }
    if (!optional(opts, "tls", &tls, fail) || !optional(opts, "ca_file", &ca_file, fail) ||
        !optional(opts, "server_name", &server_name, fail) ||
        !optional(opts, "ehlo_name", &ehlo_name, fail) ||
        !optional(opts, "username", &username, fail) ||
        !opt_whole(opts, "window", UINT32_MAX, &window, &has_window, fail) ||
        !opt_whole(opts, "timeout_ms", UINT32_MAX, &ms, &has_ms, fail)) {
        goto done;
    }
    if (username.data && !required(opts, "password", &password, fail)) {
        goto done;
    }
    if (!set(e365_smtp_options_new(host.data, host.len, &o, &err), err, fail) ||
        !set(e365_smtp_options_set_port(o, (uint32_t)port, &err), err, fail)) {
        goto done;
    }
    if (tls.data != NULL) {
        uint32_t mode;
        if (str_is(tls, "starttls")) {
            mode = E365_TLS_STARTTLS;
        } else if (str_is(tls, "implicit")) {
            mode = E365_TLS_IMPLICIT;
        } else if (str_is(tls, "insecure_plaintext")) {
            mode = E365_TLS_INSECURE_PLAINTEXT;
        } else {
            *fail = bad_arg("tls", "names no TLS mode");
            goto done;
        }
        if (!set(e365_smtp_options_set_tls_mode(o, mode, &err), err, fail)) {
            goto done;
        }
    }
    if ((ca_file.data && !set(e365_smtp_options_set_ca_file(o, ca_file.data, ca_file.len, &err), err, fail)) ||
        (server_name.data &&
         !set(e365_smtp_options_set_server_name(o, server_name.data, server_name.len, &err), err, fail)) ||
        (ehlo_name.data &&
         !set(e365_smtp_options_set_ehlo_name(o, ehlo_name.data, ehlo_name.len, &err), err, fail)) ||
        (username.data && !set(e365_smtp_options_set_credentials(o, username.data, username.len,
                                                                 password.data, password.len, &err),
                               err, fail))) {
        goto done;
    }
    /* pipelining and chunking: only when given (absent keeps the default). */
    const char *switches[2] = {"pipelining", "chunking"};
    for (int i = 0; i < 2; i++) {
        bool value = false;
        if (!has(opts, switches[i])) {
            continue;
        }
        if (!flag(opts, switches[i], &value, fail)) {
            goto done;
        }
        e365_result rc = i == 0 ? e365_smtp_options_set_pipelining(o, value, &err)
                                : e365_smtp_options_set_chunking(o, value, &err);
        if (!set(rc, err, fail)) {
            goto done;
        }
    }
    if (has_window && !set(e365_smtp_options_set_window(o, (size_t)window, &err), err, fail)) {
        goto done;
    }
    if (has_ms) {
        const uint32_t steps[5] = {E365_TIMEOUT_STEP_CONNECT, E365_TIMEOUT_STEP_GREETING,
                                   E365_TIMEOUT_STEP_COMMAND, E365_TIMEOUT_STEP_DATA_WRITE,
                                   E365_TIMEOUT_STEP_DATA_END};
        for (int i = 0; i < 5; i++) {
            if (!set(e365_smtp_options_set_timeout_ms(o, steps[i], ms, &err), err, fail)) {
                goto done;
            }
        }
    }
    *out = o;
    o = NULL;
    good = 1;
done:
    e365_smtp_options_free(o);
    json_decref(empty);
    return good;
}

/* One message of a call: built from `message` (build_message's arguments) into `m`, or
 * given as `raw` {mail_from, rcpt_to, data} (bytes with an explicit envelope; the strings
 * point into the request). */
typedef struct {
    e365_message *m;
    e365_str mail_from;
    e365_str *rcpt;
    size_t rcpt_len;
    e365_str data;
} item;

static void item_free(item *it) {
    e365_message_free(it->m);
    free(it->rcpt);
    it->m = NULL;
    it->rcpt = NULL;
}

/* Reads one item from `args` ({message} or {raw}); returns 0 and sets *fail on error. */
static int item_read(json_t *args, item *it, answer *fail) {
    json_t *message = json_object_get(args, "message");
    json_t *raw = json_object_get(args, "raw");
    memset(it, 0, sizeof *it);
    if (json_is_object(message) == json_is_object(raw)) {
        *fail = driver_error("invalid_argument", NULL, "give exactly one of \"message\" and \"raw\"");
        return 0;
    }
    if (message != NULL) {
        return build(message, &it->m, fail);
    }
    json_t *list = json_object_get(raw, "rcpt_to");
    if (!required(raw, "mail_from", &it->mail_from, fail) || !required(raw, "data", &it->data, fail)) {
        return 0;
    }
    if (!json_is_array(list)) {
        *fail = bad_arg("rcpt_to", "must be a list of strings");
        return 0;
    }
    size_t n = json_array_size(list);
    e365_str *rcpt = calloc(n ? n : 1, sizeof *rcpt);
    if (rcpt == NULL) {
        *fail = driver_error("internal", NULL, "out of memory");
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *entry = json_array_get(list, i);
        if (!json_is_string(entry)) {
            free(rcpt);
            *fail = bad_arg("rcpt_to", "must hold only strings");
            return 0;
        }
        rcpt[i].data = json_string_value(entry);
        rcpt[i].len = json_string_length(entry);
    }
    it->rcpt = rcpt;
    it->rcpt_len = n;
    return 1;
}

/* `smtp_send` {host, port, options?, message | raw}: the delivery or the error; the
 * client sends QUIT before answering. */
static answer smtp_send(json_t *args) {
    answer fail;
    e365_smtp_options *options = NULL;
    item it;
    if (!smtp_options(args, &options, &fail)) {
        return fail;
    }
    if (!item_read(args, &it, &fail)) {
        e365_smtp_options_free(options);
        return fail;
    }
    e365_smtp_client *client = NULL;
    e365_delivery *d = NULL;
    e365_error *err = NULL;
    e365_result rc = e365_smtp_client_connect(options, &client, &err);
    e365_smtp_options_free(options);
    if (rc == E365_OK) {
        rc = it.m ? e365_smtp_client_send(client, it.m, &d, &err)
                  : e365_smtp_client_send_raw(client, it.mail_from, it.rcpt, it.rcpt_len,
                                              (const uint8_t *)it.data.data, it.data.len, &d, &err);
        e365_smtp_client_close(&client, NULL);
    }
    item_free(&it);
    if (rc != E365_OK) {
        return from_error(rc, err);
    }
    json_t *result = delivery_json(d);
    e365_delivery_free(d);
    return ok(result);
}

/* The outcomes of a batch: {results: [{ok: delivery} | {error}]}, in input order. */
static json_t *results_json(const e365_send_results *r) {
    json_t *list = json_array();
    for (size_t i = 0; i < e365_send_results_len(r); i++) {
        e365_result rc = e365_send_results_code(r, i);
        json_array_append_new(list, rc == E365_OK
                                        ? json_pack("{s:o}", "ok", delivery_json(e365_send_results_delivery(r, i)))
                                        : json_pack("{s:o}", "error", error_json(rc, e365_send_results_error(r, i))));
    }
    return json_pack("{s:o}", "results", list);
}

/* `smtp_send_many` {host, port, options?, messages: [{message | raw}]}: one outcome per
 * message, in order. Built messages only: `e365_smtp_client_send_many`; otherwise every
 * message becomes an e365_outgoing for `send_many_raw` (a built one with its envelope
 * and bytes, so its SMTPUTF8 / 8BITMIME needs are detected from them as for raw bytes). */
static answer smtp_send_many(json_t *args) {
    answer fail;
    e365_smtp_options *options = NULL;
    json_t *list = json_object_get(args, "messages");
    size_t n = json_array_size(list), read = 0; /* 0 for a non-array */
    item *items = calloc(n ? n : 1, sizeof *items);
    const e365_message **messages = calloc(n ? n : 1, sizeof *messages);
    e365_outgoing **outgoing = calloc(n ? n : 1, sizeof *outgoing);
    int all_built = 1, good = smtp_options(args, &options, &fail);
    if (good && !json_is_array(list)) {
        fail = bad_arg("messages", "must be a list of objects");
        good = 0;
    }
    if (good && (items == NULL || messages == NULL || outgoing == NULL)) {
        fail = driver_error("internal", NULL, "out of memory");
        good = 0;
    }
    for (; good && read < n; read++) {
        json_t *entry = json_array_get(list, read);
        if (!json_is_object(entry)) {
            fail = bad_arg("messages", "must be a list of objects");
            good = 0;
        } else if (!item_read(entry, &items[read], &fail)) {
            good = 0;
        } else {
            messages[read] = items[read].m;
            all_built = all_built && items[read].m != NULL;
        }
    }
    for (size_t i = 0; good && !all_built && i < n; i++) {
        item *it = &items[i];
        e365_error *err = NULL;
        e365_result rc;
        if (it->m) {
            const e365_message *m = it->m;
            rc = e365_outgoing_new(m->mail_from, m->rcpt_to, m->rcpt_to_len, m->bytes, m->size,
                                   &outgoing[i], &err);
        } else {
            rc = e365_outgoing_new(it->mail_from, it->rcpt, it->rcpt_len,
                                   (const uint8_t *)it->data.data, it->data.len, &outgoing[i], &err);
        }
        good = set(rc, err, &fail);
    }
    if (good) {
        e365_smtp_client *client = NULL;
        e365_send_results *results = NULL;
        e365_error *err = NULL;
        e365_result rc = e365_smtp_client_connect(options, &client, &err);
        if (rc == E365_OK) {
            rc = all_built ? e365_smtp_client_send_many(client, messages, n, &results, &err)
                           : e365_smtp_client_send_many_raw(client, (const e365_outgoing *const *)outgoing,
                                                            n, &results, &err);
            e365_smtp_client_close(&client, NULL);
        }
        fail = rc == E365_OK ? ok(results_json(results)) : from_error(rc, err);
        e365_send_results_free(results);
    }
    for (size_t i = 0; items != NULL && i < read; i++) {
        item_free(&items[i]);
    }
    for (size_t i = 0; outgoing != NULL && i < n; i++) {
        e365_outgoing_free(outgoing[i]);
    }
    e365_smtp_options_free(options);
    free(items);
    free(messages);
    free(outgoing);
    return fail;
}

/* --- the protocol -------------------------------------------------------------------- */

static answer handle(json_t *request) {
    json_t *op = json_object_get(request, "op");
    if (!json_is_string(op)) {
        return driver_error("invalid_argument", NULL, "request has no string \"op\"");
    }
    json_t *args = json_object_get(request, "args");
    json_t *empty = NULL;
    if (args == NULL) {
        args = empty = json_object();
    }
    answer a;
    const char *name = json_string_value(op);
    size_t len = json_string_length(op);
#define OP(s) (len == strlen(s) && memcmp(name, s, len) == 0)
    if (!json_is_object(args)) {
        a = driver_error("invalid_argument", NULL, "\"args\" must be an object");
    } else if (OP("validate_address")) {
        a = validate_address(args);
    } else if (OP("classify_reply")) {
        a = classify_reply(args);
    } else if (OP("extract_notification_id")) {
        a = extract_notification_id(args);
    } else if (OP("status_request")) {
        a = status_request(args);
    } else if (OP("parse_status")) {
        a = parse_status(args);
    } else if (OP("status_http_error")) {
        a = status_http_error(args);
    } else if (OP("status_poll")) {
        a = status_poll(args);
    } else if (OP("build_message")) {
        a = build_message(args);
    } else if (OP("envelope_from_message")) {
        a = envelope_from_message(args);
    } else if (OP("smtp_send")) {
        a = smtp_send(args);
    } else if (OP("smtp_send_many")) {
        a = smtp_send_many(args);
    } else {
        a = driver_error("invalid_argument", "unknown_op", "unknown op");
    }
#undef OP
    json_decref(empty);
    return a;
}

/* Answers one line; returns 0 when stdout is gone. */
static int answer_line(char *line, size_t len) {
    json_error_t jerr;
    answer a;
    mark_nul_keys(line, len);
    json_t *request = json_loadb(line, len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    if (request == NULL) {
        snprintf(message_buf, sizeof message_buf, "request is not JSON: %s at line %d column %d",
                 jerr.text, jerr.line, jerr.column);
        a = driver_error("invalid_argument", NULL, message_buf);
    } else {
        a = handle(request);
        json_decref(request);
    }
    json_t *out = a.unsupported ? json_pack("{s:s}", "unsupported", a.unsupported)
                  : a.ok        ? json_pack("{s:o}", "ok", a.ok)
                                : json_pack("{s:o}", "error", a.error);
    if (out == NULL) {
        /* json_pack fails only on invalid UTF-8 or allocation failure. */
        out = json_pack("{s:{s:s, s:n, s:s, s:n, s:b, s:n, s:[]}}", "error", "kind", "internal",
                        "reason", "message", "the driver could not encode its answer", "position",
                        "transient", 0, "reply", "replies");
    }
    int written = json_dumpf(out, stdout, JSON_COMPACT) == 0 && fputc('\n', stdout) != EOF &&
                  fflush(stdout) == 0;
    json_decref(out);
    return written;
}

int main(void) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) != -1) {
        size_t len = (size_t)n;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            len--;
        }
        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) {
            i++;
        }
        if (i == len) {
            continue; /* a blank line gets no answer, as in the Rust driver */
        }
        if (!answer_line(line, len)) {
            break;
        }
    }
    free(line);
    return 0;
}
