/*
 * A minimal test runner: CHECK records a failure and goes on; RUN runs one test
 * function; SUMMARY prints `N passed, N failed` and gives the exit status.
 */
#ifndef E365_TEST_RUNNER_H
#define E365_TEST_RUNNER_H

#include <stdio.h>

static int runner_passed = 0;
static int runner_failed = 0;
static int runner_current_failed = 0;

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
            runner_current_failed = 1;                                             \
        }                                                                          \
    } while (0)

#define RUN(test)                                                                  \
    do {                                                                           \
        runner_current_failed = 0;                                                 \
        test();                                                                    \
        if (runner_current_failed) {                                               \
            runner_failed++;                                                       \
            fprintf(stderr, "FAIL %s\n", #test);                                   \
        } else {                                                                   \
            runner_passed++;                                                       \
        }                                                                          \
    } while (0)

#define SUMMARY()                                                                  \
    (printf("%d passed, %d failed\n", runner_passed, runner_failed),               \
     runner_failed == 0 ? 0 : 1)

#endif
