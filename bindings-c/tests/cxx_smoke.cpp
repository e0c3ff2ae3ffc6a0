// The header from C++: the extern "C" guards, the enums and the typedefs compile and link.
#include <cstdio>
#include <cstring>

#include "email365.h"

int main() {
    e365_classification *c = nullptr;
    e365_error *err = nullptr;
    const char *reply = "250 2.0.0 Ok: queued as 10000000902077";
    e365_result rc = e365_reply_classify(reply, std::strlen(reply), nullptr, 0, &c, &err);
    if (rc != E365_OK || c->severity != E365_SEVERITY_SUCCESS) {
        std::printf("FAIL: %s\n", e365_result_name(rc));
        e365_error_free(err);
        return 1;
    }
    e365_classification_free(c);
    std::printf("c++ smoke: 1 passed, 0 failed\n");
    return 0;
}
