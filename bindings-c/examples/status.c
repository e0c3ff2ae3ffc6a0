/*
 * The status API without a network: builds the request for a notification and parses a
 * response body (given as the first argument, or a sample), printing every event and
 * each recipient's state.
 *
 *   build/status '{"Notification": {...}}'
 */
#include <stdio.h>
#include <string.h>

#include "email365.h"

static e365_str text(const char *s) {
    e365_str v;
    v.data = s;
    v.len = s ? strlen(s) : 0;
    return v;
}

static int fail(e365_result rc, e365_error *err) {
    e365_str message = e365_error_message(err);
    fprintf(stderr, "%s: %.*s\n", e365_result_name(rc), (int)message.len,
            message.data ? message.data : "");
    e365_error_free(err);
    return 1;
}

int main(int argc, char **argv) {
    const char *body = argc > 1 ? argv[1]
                                : "{\"Notification\": {\"notificationId\": \"10000000902077\", "
                                  "\"status\": [{\"statusCode\": \"CAAS_RECEIVED\", "
                                  "\"recipient\": \"email:jane@example.com\", "
                                  "\"timestamp\": \"2015-03-08 14:58:30.252\"}]}}";
    e365_error *err = NULL;

    /* START status_request */
    e365_status_query query;
    memset(&query, 0, sizeof query); /* every optional field absent */
    query.account_id = text("caas_email12345");
    query.notification_id = text("10000000902077");
    query.recipient = text("jane@example.com");
    query.username = text("user");
    query.password = text("secret");
    e365_status_request *request = NULL;
    e365_result rc = e365_status_request_build(&query, &request, &err);
    if (rc != E365_OK) {
        return fail(rc, err);
    }
    printf("%s %s\n", request->method.data, request->url.data);
    e365_status_request_free(request);
    /* END status_request */

    /* START status_parse */
    e365_notification *n = NULL;
    rc = e365_status_parse(body, strlen(body), &n, &err);
    if (rc != E365_OK) {
        return fail(rc, err);
    }
    if (!n->found) {
        printf("unknown or expired (status data lives 7 days)\n");
    }
    for (size_t i = 0; i < n->events_len; i++) {
        const e365_status_event *e = &n->events[i];
        printf("%s %s %s\n", e->timestamp.data ? e->timestamp.data : "-", e->code.data,
               e->recipient.data ? e->recipient.data : "-");
    }
    for (size_t i = 0; i < n->recipients_len; i++) {
        const e365_recipient_state *r = &n->recipients[i];
        printf("%s: %s%s\n", r->recipient.data ? r->recipient.data : "(none)",
               r->latest.code.data, r->is_final ? " (final)" : "");
    }
    printf("all final: %s\n", n->all_final ? "yes" : "no");
    e365_notification_free(n);
    /* END status_parse */

    /* The wait before the first poll, per the core's polling plan. */
    uint64_t delay_ms = 0;
    rc = e365_status_next_delay(0, NULL, &delay_ms, &err);
    if (rc != E365_OK) {
        return fail(rc, err);
    }
    printf("next poll in %llu ms\n", (unsigned long long)delay_ms);
    return 0;
}
