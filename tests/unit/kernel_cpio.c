/* kernel/fs/cpio.c: archives written by the host's `cpio -o -H newc`, and hand-made bad ones. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mote/cpio.h"

static uint8_t *host_cpio(size_t *len)
{
    /* A directory, a file, an empty file, a symlink, a hard link: what stock cpio writes. */
    const char *script =
        "set -e; d=$(mktemp -d); cd $d; mkdir -p root/etc; printf 'mote\\n' > root/etc/hostname;"
        ": > root/empty; ln -s etc/hostname root/link; ln root/etc/hostname root/hard;"
        "cd root; find . | LC_ALL=C sort | cpio -o -H newc --quiet; cd /; rm -rf $d";
    FILE *p = popen(script, "r");
    assert_non_null(p);
    uint8_t *buf = malloc(1 << 16);
    *len = fread(buf, 1, 1 << 16, p);
    assert_int_equal(pclose(p), 0);
    return buf;
}

static void test_host_archive(void **state)
{
    size_t len;
    uint8_t *buf = host_cpio(&len);
    struct cpio_iter it;
    struct cpio_entry e;
    cpio_begin(&it, buf, len);
    const char *names[] = {".",    "empty", "etc", "etc/hostname",
                           "hard", "link"}; /* cpio drops "./" */
    int n = 0, rc;
    int links_seen = 0;
    while ((rc = cpio_next(&it, &e)) == 1) {
        assert_true(n < 6);
        assert_string_equal(e.name, names[n]);
        assert_int_equal(e.namelen, strlen(names[n]));
        if (strcmp(e.name, "etc/hostname") == 0 || strcmp(e.name, "hard") == 0) {
            assert_int_equal(e.mode & 0170000, 0100000);
            assert_int_equal(e.nlink, 2);
            /* newc stores a hard link's data once, with the last name. */
            if (e.size) {
                assert_int_equal(e.size, 5);
                assert_memory_equal(e.data, "mote\n", 5);
            }
            links_seen++;
        }
        if (strcmp(e.name, "link") == 0) {
            assert_int_equal(e.mode & 0170000, 0120000);
            assert_int_equal(e.size, 12);
            assert_memory_equal(e.data, "etc/hostname", 12);
        }
        if (strcmp(e.name, "etc") == 0)
            assert_int_equal(e.mode & 0170000, 0040000);
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, 6);
    assert_int_equal(links_seen, 2);
    /* At the end: nothing more. */
    assert_int_equal(cpio_next(&it, &e), 0);
    assert_int_equal(it.pos, it.len);
    free(buf);
}

static size_t put_header(uint8_t *b, const char *magic, const char *name, uint32_t namesize,
                         uint32_t size)
{
    int n = sprintf((char *)b, "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", magic, 1,
                    0100644, 0, 0, 1, 0, size, 0, 0, 0, 0, namesize, 0);
    assert_int_equal(n, 110);
    memcpy(b + 110, name, strlen(name) + 1);
    return 110 + namesize;
}

static void test_truncated(void **state)
{
    size_t len;
    uint8_t *buf = host_cpio(&len);
    struct cpio_iter it;
    struct cpio_entry e;
    /* Cut inside the first header, inside a name, inside the file data: all -ENODATA. */
    for (size_t cut = 1; cut < 600 && cut < len; cut += 7) {
        cpio_begin(&it, buf, cut);
        int rc;
        while ((rc = cpio_next(&it, &e)) == 1)
            ;
        assert_true(rc == -ENODATA || (rc == 0 && it.pos == cut));
    }
    uint8_t b[256] = {0};
    size_t n = put_header(b, "070701", "f", 2, 100);
    cpio_begin(&it, b, n + 10);
    assert_int_equal(cpio_next(&it, &e), -ENODATA);
    free(buf);
}

static void test_bad_magic_and_fields(void **state)
{
    uint8_t b[256] = {0};
    struct cpio_iter it;
    struct cpio_entry e;
    size_t n = put_header(b, "070707", "f", 2, 0); /* old ASCII format: not newc */
    cpio_begin(&it, b, n + 4);
    assert_int_equal(cpio_next(&it, &e), -EINVAL);
    n = put_header(b, "070701", "f", 2, 0);
    b[20] = 'g'; /* not hex */
    cpio_begin(&it, b, n + 4);
    assert_int_equal(cpio_next(&it, &e), -EINVAL);
    n = put_header(b, "070701", "f", 0, 0); /* namesize 0 */
    cpio_begin(&it, b, 200);
    assert_int_equal(cpio_next(&it, &e), -EINVAL);
    n = put_header(b, "070701", "ab", 2, 0); /* name not NUL-terminated within namesize */
    cpio_begin(&it, b, 200);
    assert_int_equal(cpio_next(&it, &e), -EINVAL);
    n = put_header(b, "070702", "ok", 3, 0); /* the crc variant is accepted */
    cpio_begin(&it, b, 200);
    assert_int_equal(cpio_next(&it, &e), 1);
    assert_string_equal(e.name, "ok");
}

static void test_name_overflow(void **state)
{
    uint8_t b[256] = {0};
    struct cpio_iter it;
    struct cpio_entry e;
    put_header(b, "070701", "x", 0xffffffff, 0); /* would wrap a 32-bit offset */
    cpio_begin(&it, b, sizeof(b));
    assert_int_equal(cpio_next(&it, &e), -ENAMETOOLONG);
    put_header(b, "070701", "x", CPIO_NAME_MAX + 1, 0);
    cpio_begin(&it, b, sizeof(b));
    assert_int_equal(cpio_next(&it, &e), -ENAMETOOLONG);
    put_header(b, "070701", "x", 200, 0); /* longer than the buffer */
    cpio_begin(&it, b, sizeof(b));
    assert_int_equal(cpio_next(&it, &e), -ENODATA);
    put_header(b, "070701", "x", 2, 0xfffffff0); /* size past the end */
    cpio_begin(&it, b, sizeof(b));
    assert_int_equal(cpio_next(&it, &e), -ENODATA);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_archive),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bad_magic_and_fields),
        cmocka_unit_test(test_name_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
