/* kernel/lib/inflate.c against the host's gzip: every level, stored blocks, empty input,
 * concatenated members, and corrupt or truncated streams (an error, never a crash). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mote/inflate.h"

/* Runs `gzip <args>` on data; returns the compressed bytes (malloc'd). */
static uint8_t *host_gzip(const uint8_t *data, size_t len, const char *args, size_t *outlen)
{
    char in[] = "/tmp/mote-inflate-XXXXXX";
    int fd = mkstemp(in);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "gzip -c %s < %s", args, in);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = len + 1024, n = 0;
    uint8_t *out = malloc(cap);
    size_t r;
    while ((r = fread(out + n, 1, cap - n, p)) > 0) {
        n += r;
        if (n == cap)
            out = realloc(out, cap *= 2);
    }
    assert_int_equal(pclose(p), 0);
    unlink(in);
    *outlen = n;
    return out;
}

static uint8_t *sample(size_t len, int kind)
{
    uint8_t *d = malloc(len ? len : 1);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (kind == 0)
            d[i] = "the quick brown fox jumps over the lazy dog\n"[i % 44];
        else if (kind == 1)
            d[i] = (uint8_t)x; /* incompressible: stored blocks */
        else
            d[i] = (x % 7 == 0) ? (uint8_t)x : (uint8_t) "abcabcabd"[i % 9];
    }
    return d;
}

static void roundtrip(size_t len, int kind, const char *args)
{
    uint8_t *d = sample(len, kind);
    size_t zlen, outlen = 12345;
    uint8_t *z = host_gzip(d, len, args, &zlen);
    assert_true(gzip_detect(z, zlen));
    assert_int_equal(gzip_claimed_size(z, zlen), (uint32_t)len);
    uint8_t *out = malloc(len + 1);
    assert_int_equal(gzip_inflate(z, zlen, out, len, &outlen), 0);
    assert_int_equal(outlen, len);
    assert_memory_equal(out, d, len);
    /* One byte less room than needed must be refused. */
    if (len)
        assert_int_equal(gzip_inflate(z, zlen, out, len - 1, &outlen), -E2BIG);
    free(d), free(z), free(out);
}

static void test_levels(void **state)
{
    roundtrip(100000, 0, "-9");
    roundtrip(100000, 2, "-1");
    roundtrip(300000, 2, "-6");
    roundtrip(70000, 1, "-9");
    roundtrip(1, 0, "-9");
}

static void test_empty(void **state)
{
    roundtrip(0, 0, "-9");
}

static void test_named_member_and_concatenation(void **state)
{
    /* gzip -N stores the name (FNAME); two members back to back form one stream. */
    uint8_t *a = sample(5000, 0), *b = sample(7000, 2);
    size_t za, zb;
    uint8_t *ga = host_gzip(a, 5000, "-9", &za), *gb = host_gzip(b, 7000, "-1", &zb);
    uint8_t *cat = malloc(za + zb + 16);
    memcpy(cat, ga, za);
    memcpy(cat + za, gb, zb);
    memset(cat + za + zb, 0, 16); /* trailing padding */
    uint8_t out[12000];
    size_t n;
    assert_int_equal(gzip_inflate(cat, za + zb + 16, out, sizeof(out), &n), 0);
    assert_int_equal(n, 12000);
    assert_memory_equal(out, a, 5000);
    assert_memory_equal(out + 5000, b, 7000);
    free(a), free(b), free(ga), free(gb), free(cat);
}

static void test_corrupt_and_truncated(void **state)
{
    size_t len = 20000, zlen, n;
    uint8_t *d = sample(len, 2);
    uint8_t *z = host_gzip(d, len, "-9", &zlen);
    uint8_t *out = malloc(len);
    /* Every truncation is an error. */
    for (size_t cut = 0; cut < zlen; cut += (cut < 64 ? 1 : 37))
        assert_true(gzip_inflate(z, cut, out, len, &n) < 0);
    /* Flipped bits: an error (usually a CRC mismatch), never a crash or an overrun. */
    int errors = 0;
    for (size_t i = 10; i < zlen; i += 13) {
        uint8_t *c = malloc(zlen);
        memcpy(c, z, zlen);
        c[i] ^= 1u << (i % 8);
        if (gzip_inflate(c, zlen, out, len, &n) < 0)
            errors++;
        free(c);
    }
    assert_true(errors > 0);
    /* Bad magic, reserved block type 3, reserved flags. */
    uint8_t bad[32] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x07};
    assert_false(gzip_detect((const uint8_t *)"\x1f\x8c", 2));
    assert_int_equal(gzip_inflate(bad, sizeof(bad), out, len, &n), -EINVAL);
    bad[3] = 0x80;
    assert_int_equal(gzip_inflate(bad, sizeof(bad), out, len, &n), -EINVAL);
    /* A distance reaching before the output start. */
    static const uint8_t far[] = {0x63, 0x00, 0x02, 0x00}; /* fixed block: 'x'?, then match */
    size_t used;
    assert_true(inflate_raw(far, sizeof(far), out, len, &n, &used) < 0 || n <= sizeof(far) * 8);
    free(d), free(z), free(out);
}

static void test_crc32(void **state)
{
    assert_int_equal(crc32_update(0, (const uint8_t *)"123456789", 9), 0xcbf43926u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_named_member_and_concatenation),
        cmocka_unit_test(test_corrupt_and_truncated),
        cmocka_unit_test(test_crc32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
