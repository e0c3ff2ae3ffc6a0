/*
 * Sends one message through SMTP (STARTTLS + AUTH) and prints the notification id and
 * each recipient's outcome.
 *
 *   E365_SMTP_HOST=smtp.example.net \
 *   E365_USERNAME=user E365_PASSWORD=secret \
 *   build/send 'Shop <shop@example.com>' alice@example.org [more recipients...]
 *
 * Environment: E365_SMTP_HOST (required), E365_SMTP_PORT (default 25, the service's),
 * E365_USERNAME and E365_PASSWORD (optional: no AUTH without them), E365_CA_FILE (extra
 * trusted CA, PEM), E365_IMPLICIT_TLS=1 (TLS from the first byte, port 465),
 * E365_SEND_RAW=1 (send the bytes with e365_envelope_from_message +
 * e365_smtp_client_send_raw), E365_LOG=1 (print the SMTP transcript on stderr: AUTH
 * redacted, control bytes escaped), E365_SUBJECT; with
 * E365_ACCOUNT_ID (and E365_STATUS_BASE_URL, default: the eu region) it then waits up to
 * 60 s for the first recipient's final delivery state through the status API.
 * Exit status: 0 sent (some recipients may be refused), 1 refused or failed, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "email365.h"

static e365_str env_str(const char *name) {
    e365_str v;
    v.data = getenv(name);
    if (v.data != NULL && v.data[0] == '\0') {
        v.data = NULL; /* an empty variable counts as unset */
    }
    v.len = v.data ? strlen(v.data) : 0;
    return v;
}

/* Whether an environment variable is "1". */
static int flag(const char *name) {
    const char *v = getenv(name);
    return v != NULL && strcmp(v, "1") == 0;
}

/* The transcript callback: one line per command or reply line, control bytes escaped
 * (a reply line is passed as the server sent it). */
static void print_line(void *userdata, uint32_t direction, const char *line, size_t len) {
    (void)userdata;
    fputs(direction == E365_LOG_SENT ? "C: " : "S: ", stderr);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x20 || c == 0x7f) {
            fprintf(stderr, "\\x%02x", c);
        } else {
            fputc(c, stderr);
        }
    }
    fputc('\n', stderr);
}

/* Prints an error (kind, reason, message and, for SMTP refusals, the reply) and frees it. */
static int report(const char *what, e365_result rc, e365_error *err) {
    e365_str message = e365_error_message(err);
    const char *reason = e365_error_reason(err);
    fprintf(stderr, "%s failed: %s%s%s: %.*s\n", what, e365_result_name(rc), reason ? "/" : "",
            reason ? reason : "", (int)message.len, message.data ? message.data : "");
    size_t n = 0;
    const e365_smtp_reply *replies = e365_error_replies(err, &n);
    for (size_t i = 0; i < n; i++) {
        fprintf(stderr, "  %s%s%u %s %s\n", replies[i].recipient.data ? replies[i].recipient.data : "",
                replies[i].recipient.data ? ": " : "", (unsigned)replies[i].code,
                replies[i].enhanced.data ? replies[i].enhanced.data : "", replies[i].text.data);
    }
    if (e365_error_transient(err)) {
        fprintf(stderr, "  (transient: retrying later may succeed)\n");
    }
    e365_error_free(err);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3 || getenv("E365_SMTP_HOST") == NULL) {
        fprintf(stderr, "usage: E365_SMTP_HOST=... %s FROM TO [TO...]\n", argv[0]);
        return 2;
    }
    e365_error *err = NULL;
    e365_result rc;

    /* START send_build */
    e365_message_builder *builder = NULL;
    if ((rc = e365_message_builder_new(&builder, &err)) != E365_OK) {
        return report("new builder", rc, err);
    }
    const char *subject = getenv("E365_SUBJECT") ? getenv("E365_SUBJECT") : "Hello from C";
    const char *body = "Hello,\nthis message was sent by the email365 C library.\n";
    e365_message_builder_set_from(builder, argv[1], strlen(argv[1]), NULL);
    for (int i = 2; i < argc; i++) {
        e365_message_builder_add_to(builder, argv[i], strlen(argv[i]), NULL);
    }
    e365_message_builder_set_subject(builder, subject, strlen(subject), NULL);
    e365_message_builder_set_text(builder, body, strlen(body), NULL);
    /* Setters only record (they fail only on NULL or non-UTF-8 text); build checks all. */
    e365_message *message = NULL;
    rc = e365_message_builder_build(builder, &message, &err);
    e365_message_builder_free(builder);
    if (rc != E365_OK) {
        return report("build", rc, err);
    }
    /* END send_build */

    /* START send_smtp */
    /* Options are an opaque handle: every option not set keeps its default (port 25,
     * STARTTLS required, the system's roots); a failing setter names the bad value. */
    e365_smtp_options *options = NULL;
    e365_str host = env_str("E365_SMTP_HOST");
    if ((rc = e365_smtp_options_new(host.data, host.len, &options, &err)) != E365_OK) {
        e365_message_free(message);
        return report("options", rc, err);
    }
    e365_str user = env_str("E365_USERNAME"), password = env_str("E365_PASSWORD");
    e365_str ca_file = env_str("E365_CA_FILE");
    if ((getenv("E365_SMTP_PORT") &&
         (rc = e365_smtp_options_set_port(options, (uint32_t)strtoul(getenv("E365_SMTP_PORT"), NULL, 10),
                                          &err)) != E365_OK) ||
        (flag("E365_IMPLICIT_TLS") &&
         (rc = e365_smtp_options_set_tls_mode(options, E365_TLS_IMPLICIT, &err)) != E365_OK) ||
        (user.data && (rc = e365_smtp_options_set_credentials(options, user.data, user.len, password.data,
                                                               password.len, &err)) != E365_OK) ||
        (ca_file.data &&
         (rc = e365_smtp_options_set_ca_file(options, ca_file.data, ca_file.len, &err)) != E365_OK) ||
        (flag("E365_LOG") && (rc = e365_smtp_options_set_log(options, print_line, NULL, &err)) != E365_OK)) {
        e365_smtp_options_free(options);
        e365_message_free(message);
        return report("options", rc, err);
    }
    e365_smtp_client *client = NULL;
    rc = e365_smtp_client_connect(options, &client, &err);
    e365_smtp_options_free(options); /* the client keeps its own copy */
    if (rc != E365_OK) {
        e365_message_free(message);
        return report("connect", rc, err);
    }
    e365_delivery *delivery = NULL;
    if (flag("E365_SEND_RAW")) {
        /* Bytes built elsewhere: read their envelope (Bcc removed), then send them raw. */
        e365_envelope *env = NULL;
        rc = e365_envelope_from_message(message->bytes, message->size, &env, &err);
        if (rc == E365_OK) {
            rc = e365_smtp_client_send_raw(client, env->mail_from, env->rcpt_to, env->rcpt_to_len,
                                           env->bytes, env->bytes_len, &delivery, &err);
            e365_envelope_free(env);
        }
    } else {
        rc = e365_smtp_client_send(client, message, &delivery, &err);
    }
    e365_message_free(message);
    if (rc != E365_OK) {
        e365_smtp_client_free(client);
        return report("send", rc, err);
    }
    const e365_str id = e365_delivery_notification_id(delivery);
    printf("notification_id %s\n", id.data ? id.data : "-");
    for (size_t i = 0; i < e365_delivery_accepted_len(delivery); i++) {
        printf("accepted %s\n", e365_recipient_reply_recipient(e365_delivery_accepted(delivery, i)).data);
    }
    for (size_t i = 0; i < e365_delivery_rejected_len(delivery); i++) {
        const e365_recipient_reply *r = e365_delivery_rejected(delivery, i);
        printf("rejected %s %u %s\n", e365_recipient_reply_recipient(r).data,
               (unsigned)e365_recipient_reply_code(r), e365_recipient_reply_text(r).data);
    }
    if ((rc = e365_smtp_client_close(&client, &err)) != E365_OK) {
        report("quit", rc, err); /* the message was sent all the same */
    }
    /* END send_smtp */

    int status = 0;
    if (getenv("E365_ACCOUNT_ID") && id.data && e365_delivery_accepted_len(delivery) > 0) {
        /* START send_status */
        e365_status_client_options status_options;
        memset(&status_options, 0, sizeof status_options);
        status_options.account_id = env_str("E365_ACCOUNT_ID");
        status_options.base_url = env_str("E365_STATUS_BASE_URL");
        status_options.username = env_str("E365_USERNAME");
        status_options.password = env_str("E365_PASSWORD");
        e365_status_client *status_client = NULL;
        e365_notification *n = NULL;
        const e365_str who = e365_recipient_reply_recipient(e365_delivery_accepted(delivery, 0));
        if ((rc = e365_status_client_new(&status_options, &status_client, &err)) != E365_OK ||
            (rc = e365_status_client_wait(status_client, id.data, id.len, who.data, who.len, 60000,
                                          &n, &err)) != E365_OK) {
            status = report("status", rc, err); /* E365_TIMEOUT: not final within 60 s */
        } else {
            for (size_t i = 0; i < n->events_len; i++) {
                printf("event %s %s %s\n", n->events[i].timestamp.data ? n->events[i].timestamp.data : "-",
                       n->events[i].code.data, n->events[i].recipient.data ? n->events[i].recipient.data : "-");
            }
            printf("final yes\n");
        }
        e365_notification_free(n);
        e365_status_client_free(status_client);
        /* END send_status */
    }
    e365_delivery_free(delivery);
    return status;
}
