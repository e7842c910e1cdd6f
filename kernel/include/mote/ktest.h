/* In-kernel test suites, run with --test=NAME instead of the program (kernel/tests/). Each
 * check prints one line, "test NAME: what ... ok|FAILED (detail)"; the suite ends with
 * "tests passed: N failed: M" and its result becomes the VM's exit status (failures, max 255). */
#ifndef MOTE_KTEST_H
#define MOTE_KTEST_H

#include "mote/types.h"

struct ktest_suite {
    const char *name;
    void (*run)(void);
    bool named_only; /* not part of "all" (needs devices the command line must provide) */
};

/* The suites (kernel/tests/NAME_test.c), listed in kernel/tests/ktest.c. */
void ktest_smp(void);
void ktest_timer(void);
void ktest_sched_bench(void);
void ktest_virtio_blk(void);
void ktest_blk_bench(void);
void ktest_entropy(void);
void ktest_ext4(void);
void ktest_ext4_bench(void);
void ktest_net(void);

/* Arguments for the suites: --test-arg=key=value (kernel_main hands them over). */
void ktest_set_args(int argc, const char *const *argv);
/* The value of --test-arg=key=value, or NULL. */
const char *ktest_arg(const char *key);

/* Records one check. */
void ktest_check(const char *suite, const char *what, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* One result line of the suite SUITE (a suite file defines it); the detail (printf format and
 * arguments) is printed only for a failure. */
#define CHECK(what, ok, ...)                                                                       \
    do {                                                                                           \
        if (ok)                                                                                    \
            ktest_check(SUITE, what, true, NULL);                                                  \
        else                                                                                       \
            ktest_check(SUITE, what, false, __VA_ARGS__);                                          \
    } while (0)

/* Runs the named suite (or "all"); returns the number of failures (capped at 255), or 127 when
 * there is no such suite. */
int ktest_run(const char *name);

#endif
