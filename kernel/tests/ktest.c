/* The in-kernel test runner and its table of suites (one line a suite). */
#include <stdarg.h>

#include "mote/ktest.h"
#include "mote/printk.h"
#include "mote/string.h"

static const struct ktest_suite suites[] = {
    {"smp", ktest_smp, false},
    {"timer", ktest_timer, false},
    {"sched-bench", ktest_sched_bench, false},
    {"virtio-blk", ktest_virtio_blk, true},
    {"blk-bench", ktest_blk_bench, true},
    {"entropy", ktest_entropy, true},
    {"ext4", ktest_ext4, true},
    {"ext4-bench", ktest_ext4_bench, true},
    {"net", ktest_net, true},
};

static unsigned passed, failed;
static int nargs;
static const char *const *args;

void ktest_set_args(int argc, const char *const *argv)
{
    nargs = argc;
    args = argv;
}

const char *ktest_arg(const char *key)
{
    size_t n = strlen(key);
    for (int i = 0; i < nargs; i++)
        if (strncmp(args[i], key, n) == 0 && args[i][n] == '=')
            return args[i] + n + 1;
    return NULL;
}

/* Benchmarks run only when named. */
static bool strstr_bench(const char *name)
{
    size_t n = strlen(name);
    return n > 6 && strcmp(name + n - 6, "-bench") == 0;
}

void ktest_check(const char *suite, const char *what, bool ok, const char *fmt, ...)
{
    char detail[160] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
    }
    printk(LOG_ERR, "test %s: %s ... %s%s%s%s\n", suite, what, ok ? "ok" : "FAILED",
           detail[0] ? " (" : "", detail, detail[0] ? ")" : "");
    if (ok)
        passed++;
    else
        failed++;
}

int ktest_run(const char *name)
{
    bool found = false;
    for (size_t i = 0; i < ARRAY_SIZE(suites); i++) {
        bool is_bench = strstr_bench(suites[i].name);
        if ((strcmp(name, "all") == 0 && !is_bench && !suites[i].named_only) || strcmp(name, suites[i].name) == 0) {
            suites[i].run();
            found = true;
        }
    }
    if (!found) {
        pr_err("ktest: no test suite named %s\n", name);
        return 127;
    }
    printk(LOG_ERR, "tests passed: %u failed: %u\n", passed, failed);
    return failed > 255 ? 255 : (int)failed;
}
