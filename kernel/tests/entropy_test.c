/* `--test=entropy`: reads the entropy pool (virtio-rng behind it) twice and prints the bytes. */
#include "mote/entropy.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/ktest.h"

#define SUITE "entropy"

void ktest_entropy(void)
{
    CHECK("source", entropy_source_count() > 0, "no entropy source");
    if (!entropy_source_count())
        return;
    uint8_t a[32], b[32] = {0};
    memset(a, 0, sizeof(a));
    ssize_t na = entropy_get(a, sizeof(a));
    ssize_t nb = entropy_get(b, sizeof(b));
    char hex[2 * sizeof(a) + 1];
    for (size_t i = 0; i < sizeof(a); i++)
        snprintf(hex + 2 * i, 3, "%02x", a[i]);
    pr_warn("test %s: %zd bytes from %s: %s\n", SUITE, na, entropy_source_name(0), hex);
    uint8_t zero[32] = {0};
    CHECK("read", na == (ssize_t)sizeof(a) && nb == (ssize_t)sizeof(b),
                "got %zd and %zd bytes", na, nb);
    CHECK("bytes differ", memcmp(a, zero, sizeof(a)) && memcmp(a, b, sizeof(a)),
                "all zero or repeated");
}
