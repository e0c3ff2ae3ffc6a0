/*
 * The C conformance driver of email365 (DESIGN.md, "the conformance driver"): one JSON
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

/* An answer: exactly one of ok / error is set. */
typedef struct {
    json_t *ok;
    json_t *error;
} answer;

static json_t *opt_string(e365_str s) {
    return s.data ? json_stringn(s.data, s.len) : json_null();
}

/* {"kind", "reason", "message", "position"} from a library error (consumed). */
static answer from_error(e365_result rc, e365_error *err) {
    answer a = {NULL, NULL};
    const char *kind = e365_result_name(e365_error_kind(err) ? e365_error_kind(err) : rc);
    const char *reason = e365_error_reason(err);
    e365_str message = e365_error_message(err);
    size_t position = 0;
    int has_position = e365_error_position(err, &position);
    a.error = json_pack("{s:s, s:o, s:o, s:o}", "kind", kind ? kind : "internal", "reason",
                        reason ? json_string(reason) : json_null(), "message",
                        message.data ? json_stringn(message.data, message.len)
                                     : json_string("(no error object)"),
                        "position", has_position ? json_integer((json_int_t)position) : json_null());
    e365_error_free(err);
    return a;
}

/* A driver-level error (the argument reading of args.rs). */
static answer driver_error(const char *kind, const char *reason, const char *message) {
    answer a = {NULL, NULL};
    a.error = json_pack("{s:s, s:o, s:s, s:n}", "kind", kind, "reason",
                        reason ? json_string(reason) : json_null(), "message", message,
                        "position");
    return a;
}

static answer ok(json_t *value) {
    answer a = {value, NULL};
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

static answer build_message(json_t *args) {
    (void)args;
    /* The core's message builder is not merged yet; the Rust driver answers the same. */
    return driver_error("internal", NULL, "op not implemented yet");
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
    } else if (OP("build_message")) {
        a = build_message(args);
    } else {
        a = driver_error("invalid_argument", "unknown_op", "unknown op");
    }
#undef OP
    json_decref(empty);
    return a;
}

/* Answers one line; returns 0 when stdout is gone. */
static int answer_line(const char *line, size_t len) {
    json_error_t jerr;
    answer a;
    json_t *request = json_loadb(line, len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    if (request == NULL) {
        snprintf(message_buf, sizeof message_buf, "request is not JSON: %s at line %d column %d",
                 jerr.text, jerr.line, jerr.column);
        a = driver_error("invalid_argument", NULL, message_buf);
    } else {
        a = handle(request);
        json_decref(request);
    }
    json_t *out = a.ok ? json_pack("{s:o}", "ok", a.ok) : json_pack("{s:o}", "error", a.error);
    if (out == NULL) {
        /* json_pack fails only on invalid UTF-8 or allocation failure. */
        out = json_pack("{s:{s:s, s:n, s:s, s:n}}", "error", "kind", "internal", "reason",
                        "message", "the driver could not encode its answer", "position");
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
