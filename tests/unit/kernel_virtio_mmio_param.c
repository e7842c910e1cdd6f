/* The virtio_mmio.device= parser (kernel/drivers/virtio/mmio_param.c), Linux's format. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/virtio/mmio.h"

static struct virtio_mmio_param p;
static const char *why;

static int parse(const char *s)
{
    why = NULL;
    return virtio_mmio_parse(s, &p, &why);
}

static void test_firecracker_form(void **state)
{
    assert_int_equal(parse("4K@0xd0000000:5"), 0);
    assert_int_equal(p.size, 4096);
    assert_int_equal(p.base, 0xd0000000);
    assert_int_equal(p.irq, 5);
    assert_false(p.has_id);
}

static void test_qemu_microvm_form(void **state)
{
    assert_int_equal(parse("512@0xfeb00e00:12"), 0);
    assert_int_equal(p.size, 512);
    assert_int_equal(p.base, 0xfeb00e00);
    assert_int_equal(p.irq, 12);
}

static void test_suffixes_hex_and_id(void **state)
{
    assert_int_equal(parse("1M@0x100000000:33:7"), 0);
    assert_int_equal(p.size, 1 << 20);
    assert_int_equal(p.base, 0x100000000ull);
    assert_int_equal(p.irq, 33);
    assert_true(p.has_id);
    assert_int_equal(p.id, 7);
    assert_int_equal(parse("0x200@4026531840:9"), 0);
    assert_int_equal(p.size, 0x200);
    assert_int_equal(p.base, 0xf0000000u);
    assert_int_equal(parse("2k@0xABCDE000:1"), 0);
    assert_int_equal(p.size, 2048);
    assert_int_equal(p.base, 0xabcde000);
    assert_int_equal(parse("1G@0x1000:1"), 0);
    assert_int_equal(p.size, 1ull << 30);
}

static void expect_bad(const char *s, const char *reason)
{
    assert_int_equal(parse(s), -EINVAL);
    assert_non_null(why);
    assert_string_equal(why, reason);
}

static void test_malformed(void **state)
{
    expect_bad("", "bad size");
    expect_bad("garbage", "bad size");
    expect_bad("K@0x1000:5", "bad size");
    expect_bad("0@0x1000:5", "size is 0");
    expect_bad("4X@0x1000:5", "expected @<address> after the size");
    expect_bad("4K", "expected @<address> after the size");
    expect_bad("4K@", "bad address");
    expect_bad("4K@0x:5", "bad address");
    expect_bad("4K@0:5", "address is 0");
    expect_bad("4K@0x1000", "missing :<irq>");
    expect_bad("4K@0x1000:", "bad irq");
    expect_bad("4K@0x1000:x", "bad irq");
    expect_bad("4K@0x1000:70000", "bad irq");
    expect_bad("4K@0x1000:5:", "bad id");
    expect_bad("4K@0x1000:5:1:2", "trailing characters");
    expect_bad("4K@0x1000:5 ", "trailing characters");
    expect_bad("4K@0xfffffffffffff000:5", "address + size overflows");
    expect_bad("99999999999999999999@0x1000:5", "bad size");
    expect_bad("17179869184G@0x1000:5", "bad size");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_firecracker_form),
        cmocka_unit_test(test_qemu_microvm_form),
        cmocka_unit_test(test_suffixes_hex_and_id),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
