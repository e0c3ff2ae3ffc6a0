/*
 * Validates an address given on the command line (header form: "Name <a@b>" or "a@b")
 * and prints its parts, or the diagnosis.
 *
 *   build/validate 'Jane Doe <jane@example.com>'
 */
#include <stdio.h>
#include <string.h>

#include "email365.h"

/* Prints an output string, or "null" when absent. */
static void print_field(const char *name, e365_str s) {
    if (s.data == NULL) {
        printf("%-13s null\n", name);
    } else {
        printf("%-13s %.*s\n", name, (int)s.len, s.data);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s ADDRESS\n", argv[0]);
        return 2;
    }
    /* START validate */
    e365_address_options options = {0};
    options.mode = E365_ADDRESS_MODE_HEADER;
    e365_address *address = NULL;
    e365_error *err = NULL;
    e365_result rc = e365_address_parse(argv[1], strlen(argv[1]), &options, &address, &err);
    if (rc != E365_OK) {
        size_t position = 0;
        e365_str message = e365_error_message(err);
        const char *reason = e365_error_reason(err);
        fprintf(stderr, "%s (%s): %.*s", e365_result_name(rc), reason ? reason : "-",
                (int)message.len, message.data);
        if (e365_error_position(err, &position)) {
            fprintf(stderr, " at byte %zu", position);
        }
        fprintf(stderr, "\n");
        e365_error_free(err);
        return 1;
    }
    print_field("local", address->local);
    print_field("domain", address->domain);
    print_field("ascii_domain", address->ascii_domain);
    print_field("display_name", address->display_name);
    print_field("envelope", address->envelope);
    printf("%-13s %s\n", "smtputf8", address->smtputf8 ? "true" : "false");
    e365_address_free(address);
    /* END validate */
    return 0;
}
