/*
 * e365-send and e365-status: the core's `send` and `status` commands (docs/CLI.md) as C
 * programs linked with libemail365. Built twice from this file, with E365_COMMAND set to
 * "send" or "status"; each passes its arguments to e365_command_run after the command
 * word and exits with its code.
 */
#include <stdlib.h>

#include "email365.h"

#ifndef E365_COMMAND
#error "E365_COMMAND must name the command (\"send\" or \"status\")"
#endif

int main(int argc, char **argv) {
    const char **args = malloc(sizeof(char *) * (size_t)(argc > 0 ? argc : 1));
    if (args == NULL) {
        return 1;
    }
    args[0] = E365_COMMAND;
    for (int i = 1; i < argc; i++) {
        args[i] = argv[i];
    }
    int code = e365_command_run(argc > 0 ? argc : 1, args);
    free(args);
    return code;
}
