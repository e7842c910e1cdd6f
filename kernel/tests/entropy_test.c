/* `--test=entropy`: reads the entropy pool (virtio-rng behind it) twice and prints the bytes. */
#include "mote/entropy.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "tests/tests.h"

void entropy_test(struct ktest_ctx *t)
{
    ktest_check(t, "source", entropy_source_count() > 0, "no entropy source");
    if (!entropy_source_count())
        return;
    uint8_t a[32], b[32] = {0};
    memset(a, 0, sizeof(a));
    ssize_t na = entropy_get(a, sizeof(a));
    ssize_t nb = entropy_get(b, sizeof(b));
    char hex[2 * sizeof(a) + 1];
    for (size_t i = 0; i < sizeof(a); i++)
        snprintf(hex + 2 * i, 3, "%02x", a[i]);
    pr_warn("test %s: %zd bytes from %s: %s\n", t->name, na, entropy_source_name(0), hex);
    uint8_t zero[32] = {0};
    ktest_check(t, "read", na == (ssize_t)sizeof(a) && nb == (ssize_t)sizeof(b),
                "got %zd and %zd bytes", na, nb);
    ktest_check(t, "bytes differ", memcmp(a, zero, sizeof(a)) && memcmp(a, b, sizeof(a)),
                "all zero or repeated");
}
