/* In-guest tests: `--test=NAME [--test-arg=X ...]` runs test NAME instead of the program, after
 * the devices are probed. Each check prints one line ("test NAME: CHECK ... ok" or "... FAILED:
 * why"), then "tests passed: N failed: M"; the kernel exits with status M. */
#ifndef KERNEL_TESTS_H
#define KERNEL_TESTS_H

#include "mote/types.h"

struct ktest_ctx {
    const char *name;
    int argc;
    const char *const *argv;
    unsigned passed, failed;
};

/* Returns the value of --test-arg=key=value, or NULL. */
const char *ktest_arg(const struct ktest_ctx *t, const char *key);
/* Prints the result line of one check; fmt explains a failure (may be NULL when ok). */
void ktest_check(struct ktest_ctx *t, const char *check, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The tests (kernel/tests/tests.c holds the table). Each returns nothing: results go through
 * ktest_check. */
void virtio_blk_test(struct ktest_ctx *t);
void blk_bench(struct ktest_ctx *t);
void entropy_test(struct ktest_ctx *t);

/* Runs test name; returns the number of failed checks (127 when there is no such test). */
int kernel_test_run(const char *name, int argc, const char *const *argv);

#endif
