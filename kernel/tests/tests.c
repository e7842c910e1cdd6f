/* The in-guest test table and the result lines (see tests.h). */
#include <stdarg.h>

#include "mote/printk.h"
#include "mote/string.h"
#include "tests/tests.h"

static const struct {
    const char *name;
    void (*run)(struct ktest_ctx *t);
} tests[] = {
    {"virtio-blk", virtio_blk_test},
    {"blk-bench", blk_bench},
    {"entropy", entropy_test},
};

const char *ktest_arg(const struct ktest_ctx *t, const char *key)
{
    size_t n = strlen(key);
    for (int i = 0; i < t->argc; i++)
        if (strncmp(t->argv[i], key, n) == 0 && t->argv[i][n] == '=')
            return t->argv[i] + n + 1;
    return NULL;
}

void ktest_check(struct ktest_ctx *t, const char *check, bool ok, const char *fmt, ...)
{
    char why[160] = "";
    if (!ok && fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
    }
    if (ok)
        t->passed++;
    else
        t->failed++;
    printk(LOG_WARN, "test %s: %s ... %s%s%s\n", t->name, check, ok ? "ok" : "FAILED",
           why[0] ? ": " : "", why);
}

int kernel_test_run(const char *name, int argc, const char *const *argv)
{
    for (size_t i = 0; i < ARRAY_SIZE(tests); i++) {
        if (strcmp(tests[i].name, name) != 0)
            continue;
        struct ktest_ctx t = {.name = name, .argc = argc, .argv = argv};
        tests[i].run(&t);
        printk(LOG_WARN, "tests passed: %u failed: %u\n", t.passed, t.failed);
        return (int)MIN(t.failed, 125u);
    }
    pr_err("mote: no kernel test named %s\n", name);
    return 127;
}
