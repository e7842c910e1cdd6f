/* The kernel's DSDT scanner (kernel/drivers/acpi_dsdt.c) on the DSDTs the monitors write:
 * QEMU microvm's (captured from QEMU 7 with ACPI on, a virtio-blk and a virtio-rng device), and
 * motevm's own (vmm/acpi/dsdt.c, built here for 0, 1 and 3 devices); then on every truncation of
 * them, byte mutations and random garbage, each placed against an unmapped page so that a read
 * past the end faults: nothing found that is not there, and no crash. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "drivers/acpi_dsdt.h"
#include "vmm/acpi/acpi.h"

#define HDR 36 /* the table header; the scanner is given what follows */
#define NMAX 32

/* QEMU microvm, -device virtio-blk-device -device virtio-rng-device: Scope (_SB) { FWCF, COM1,
 * RTC, GED (an OperationRegion, a Field and a Method), PWRB, VR23, VR22 }, then \_S5. The two
 * LNRO0005 devices: Memory32Fixed 0x200 bytes, Extended Interrupt level, active high. */
static const uint8_t qemu_dsdt[] = {
    0x44, 0x53, 0x44, 0x54, 0xd8, 0x01, 0x00, 0x00, 0x02, 0x0d, 0x42, 0x4f, 0x43, 0x48, 0x53, 0x20,
    0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20, 0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43,
    0x01, 0x00, 0x00, 0x00, 0x10, 0x42, 0x1a, 0x5f, 0x53, 0x42, 0x5f, 0x5b, 0x82, 0x2e, 0x46, 0x57,
    0x43, 0x46, 0x08, 0x5f, 0x48, 0x49, 0x44, 0x0d, 0x51, 0x45, 0x4d, 0x55, 0x30, 0x30, 0x30, 0x32,
    0x00, 0x08, 0x5f, 0x53, 0x54, 0x41, 0x0a, 0x0b, 0x08, 0x5f, 0x43, 0x52, 0x53, 0x11, 0x0d, 0x0a,
    0x0a, 0x47, 0x01, 0x10, 0x05, 0x10, 0x05, 0x01, 0x0c, 0x79, 0x00, 0x5b, 0x82, 0x32, 0x43, 0x4f,
    0x4d, 0x31, 0x08, 0x5f, 0x48, 0x49, 0x44, 0x0c, 0x41, 0xd0, 0x05, 0x01, 0x08, 0x5f, 0x55, 0x49,
    0x44, 0x01, 0x08, 0x5f, 0x53, 0x54, 0x41, 0x0a, 0x0f, 0x08, 0x5f, 0x43, 0x52, 0x53, 0x11, 0x10,
    0x0a, 0x0d, 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x00, 0x08, 0x22, 0x10, 0x00, 0x79, 0x00, 0x5b,
    0x82, 0x25, 0x52, 0x54, 0x43, 0x5f, 0x08, 0x5f, 0x48, 0x49, 0x44, 0x0c, 0x41, 0xd0, 0x0b, 0x00,
    0x08, 0x5f, 0x43, 0x52, 0x53, 0x11, 0x10, 0x0a, 0x0d, 0x47, 0x01, 0x70, 0x00, 0x70, 0x00, 0x01,
    0x08, 0x22, 0x00, 0x01, 0x79, 0x00, 0x5b, 0x82, 0x4c, 0x06, 0x47, 0x45, 0x44, 0x5f, 0x08, 0x5f,
    0x48, 0x49, 0x44, 0x0d, 0x41, 0x43, 0x50, 0x49, 0x30, 0x30, 0x31, 0x33, 0x00, 0x08, 0x5f, 0x55,
    0x49, 0x44, 0x0d, 0x47, 0x45, 0x44, 0x00, 0x08, 0x5f, 0x43, 0x52, 0x53, 0x11, 0x0e, 0x0a, 0x0b,
    0x89, 0x06, 0x00, 0x03, 0x01, 0x09, 0x00, 0x00, 0x00, 0x79, 0x00, 0x5b, 0x80, 0x45, 0x52, 0x45,
    0x47, 0x00, 0x0c, 0x00, 0x00, 0xa0, 0xfe, 0x0a, 0x04, 0x5b, 0x81, 0x0b, 0x45, 0x52, 0x45, 0x47,
    0x43, 0x45, 0x53, 0x45, 0x4c, 0x20, 0x14, 0x1d, 0x5f, 0x45, 0x56, 0x54, 0x09, 0x70, 0x45, 0x53,
    0x45, 0x4c, 0x60, 0xa0, 0x10, 0x93, 0x7b, 0x60, 0x0a, 0x02, 0x00, 0x0a, 0x02, 0x86, 0x50, 0x57,
    0x52, 0x42, 0x0a, 0x80, 0x5b, 0x82, 0x19, 0x50, 0x57, 0x52, 0x42, 0x08, 0x5f, 0x48, 0x49, 0x44,
    0x0d, 0x50, 0x4e, 0x50, 0x30, 0x43, 0x30, 0x43, 0x00, 0x08, 0x5f, 0x55, 0x49, 0x44, 0x00, 0x5b,
    0x82, 0x42, 0x04, 0x56, 0x52, 0x32, 0x33, 0x08, 0x5f, 0x48, 0x49, 0x44, 0x0d, 0x4c, 0x4e, 0x52,
    0x4f, 0x30, 0x30, 0x30, 0x35, 0x00, 0x08, 0x5f, 0x55, 0x49, 0x44, 0x0a, 0x17, 0x08, 0x5f, 0x43,
    0x43, 0x41, 0x01, 0x08, 0x5f, 0x43, 0x52, 0x53, 0x11, 0x1a, 0x0a, 0x17, 0x86, 0x09, 0x00, 0x01,
    0x00, 0x2e, 0xb0, 0xfe, 0x00, 0x02, 0x00, 0x00, 0x89, 0x06, 0x00, 0x01, 0x01, 0x2f, 0x00, 0x00,
    0x00, 0x79, 0x00, 0x5b, 0x82, 0x42, 0x04, 0x56, 0x52, 0x32, 0x32, 0x08, 0x5f, 0x48, 0x49, 0x44,
    0x0d, 0x4c, 0x4e, 0x52, 0x4f, 0x30, 0x30, 0x30, 0x35, 0x00, 0x08, 0x5f, 0x55, 0x49, 0x44, 0x0a,
    0x16, 0x08, 0x5f, 0x43, 0x43, 0x41, 0x01, 0x08, 0x5f, 0x43, 0x52, 0x53, 0x11, 0x1a, 0x0a, 0x17,
    0x86, 0x09, 0x00, 0x01, 0x00, 0x2c, 0xb0, 0xfe, 0x00, 0x02, 0x00, 0x00, 0x89, 0x06, 0x00, 0x01,
    0x01, 0x2e, 0x00, 0x00, 0x00, 0x79, 0x00, 0x10, 0x10, 0x5c, 0x00, 0x08, 0x5f, 0x53, 0x35, 0x5f,
    0x12, 0x07, 0x04, 0x0a, 0x05, 0x00, 0x00, 0x00,
};

/* A copy of len bytes ending exactly at an unmapped page. */
static uint8_t *guarded(const void *src, size_t len)
{
    static uint8_t *area;
    long page = sysconf(_SC_PAGESIZE);
    size_t room = 4 * (size_t)page;
    if (!area) {
        area = mmap(NULL, room + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        assert_true(area != MAP_FAILED);
        assert_int_equal(mprotect(area + room, page, PROT_NONE), 0);
    }
    assert_true(len <= room);
    uint8_t *p = area + room - len;
    memcpy(p, src, len);
    return p;
}

static unsigned scan(const uint8_t *table, size_t len, struct virtio_mmio_param *out)
{
    size_t body = len > HDR ? len - HDR : 0;
    return acpi_dsdt_virtio_mmio(guarded(table + (len - body), body), body, out, NMAX);
}

static void expect(const struct virtio_mmio_param *d, uint64_t base, uint64_t size, unsigned irq,
                   bool level)
{
    assert_int_equal(d->base, base);
    assert_int_equal(d->size, size);
    assert_int_equal(d->irq, irq);
    assert_int_equal(d->level, level);
    assert_false(d->active_low);
}

static void test_qemu_microvm(void **state)
{
    struct virtio_mmio_param d[NMAX];
    assert_int_equal(scan(qemu_dsdt, sizeof(qemu_dsdt), d), 2);
    expect(&d[0], 0xfeb02e00, 0x200, 47, true); /* table order: VR23, then VR22 */
    expect(&d[1], 0xfeb02c00, 0x200, 46, true);
    /* max bounds what is written */
    assert_int_equal(acpi_dsdt_virtio_mmio(qemu_dsdt + HDR, sizeof(qemu_dsdt) - HDR, d, 1), 1);
    assert_int_equal(d[0].base, 0xfeb02e00);
    assert_int_equal(acpi_dsdt_virtio_mmio(qemu_dsdt + HDR, sizeof(qemu_dsdt) - HDR, d, 0), 0);
}

static size_t motevm_dsdt(uint8_t *buf, size_t cap, unsigned n)
{
    struct acpi_mmio_dev devs[ACPI_MMIO_DEVS_MAX] = {{0}};
    for (unsigned i = 0; i < n; i++)
        devs[i] = (struct acpi_mmio_dev){0xd0000000 + 0x1000ull * i, 0x1000, 5 + i};
    int len = acpi_dsdt_build(buf, cap, devs, n);
    assert_true(len > HDR);
    return (size_t)len;
}

static void test_motevm(void **state)
{
    static uint8_t buf[8192];
    struct virtio_mmio_param d[NMAX];
    for (unsigned n = 0; n <= 3; n++) {
        size_t len = motevm_dsdt(buf, sizeof(buf), n);
        assert_int_equal(scan(buf, len, d), n);
        for (unsigned i = 0; i < n; i++)
            expect(&d[i], 0xd0000000 + 0x1000ull * i, 0x1000, 5 + i, false); /* edge */
    }
    size_t len = motevm_dsdt(buf, sizeof(buf), ACPI_MMIO_DEVS_MAX);
    assert_int_equal(scan(buf, len, d), NMAX);
    expect(&d[NMAX - 1], 0xd0000000 + 0x1000ull * (NMAX - 1), 0x1000, 5 + NMAX - 1, false);
}

/* Every prefix: only whole devices are found, each as in the full table. */
static void check_prefixes(const uint8_t *table, size_t len, const struct virtio_mmio_param *all,
                           unsigned nall)
{
    struct virtio_mmio_param d[NMAX];
    unsigned last = 0;
    for (size_t cut = 0; cut <= len; cut++) {
        unsigned n = scan(table, cut, d);
        assert_true(n <= nall);
        assert_true(n >= last); /* a longer prefix loses nothing */
        for (unsigned i = 0; i < n; i++)
            expect(&d[i], all[i].base, all[i].size, all[i].irq, all[i].level);
        last = n;
    }
    assert_int_equal(last, nall);
}

static void test_truncated(void **state)
{
    static uint8_t buf[8192];
    struct virtio_mmio_param all[NMAX];
    unsigned n = scan(qemu_dsdt, sizeof(qemu_dsdt), all);
    check_prefixes(qemu_dsdt, sizeof(qemu_dsdt), all, n);
    size_t len = motevm_dsdt(buf, sizeof(buf), 3);
    n = scan(buf, len, all);
    assert_int_equal(n, 3);
    check_prefixes(buf, len, all, n);
}

/* Each byte of both tables set to hostile values: no crash, never more devices than there are,
 * and each one found still a Memory32Fixed window of nonzero size. */
static void test_mutated(void **state)
{
    static const uint8_t values[] = {0x00, 0x01, 0x08, 0x0d, 0x11, 0x3f, 0x40, 0x5b, 0x7f,
                                     0x80, 0x82, 0x86, 0x89, 0xbf, 0xc0, 0xff};
    static uint8_t buf[8192], m[8192];
    size_t mlen = motevm_dsdt(buf, sizeof(buf), 3);
    const struct {
        const uint8_t *t;
        size_t len;
        unsigned n;
    } tables[] = {{qemu_dsdt, sizeof(qemu_dsdt), 2}, {buf, mlen, 3}};
    struct virtio_mmio_param d[NMAX];
    for (unsigned k = 0; k < 2; k++) {
        for (size_t i = HDR; i < tables[k].len; i++) {
            for (size_t v = 0; v < sizeof(values); v++) {
                memcpy(m, tables[k].t, tables[k].len);
                m[i] = values[v];
                unsigned n = scan(m, tables[k].len, d);
                assert_true(n <= tables[k].n);
                for (unsigned j = 0; j < n; j++)
                    assert_true(d[j].size != 0);
            }
        }
    }
}

static void test_garbage(void **state)
{
    static uint8_t g[16384];
    struct virtio_mmio_param d[NMAX];
    srand(12345);
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)rand() % sizeof(g);
        for (size_t i = 0; i < len; i++)
            g[i] = (uint8_t)rand();
        /* Some rounds are dense in the bytes the scanner looks for. */
        if (round % 3 == 0)
            for (size_t i = 0; i + 10 < len; i += 1 + rand() % 40)
                memcpy(g + i, round % 2 ? "\x08_HID\x0dLNRO0005" : "\x5b\x82\x3f_CRS\x11", 10);
        assert_int_equal(acpi_dsdt_virtio_mmio(guarded(g, len), len, d, NMAX), 0);
    }
    assert_int_equal(acpi_dsdt_virtio_mmio(guarded(g, 0), 0, d, NMAX), 0);
}

/* Hand-made AML: the _HID must be the Device's own Name, and _CRS must give a window and an
 * interrupt. */
static void test_forms(void **state)
{
    struct virtio_mmio_param d[NMAX];
    /* Device (VD00) { Name (_HID, "LNRO0005") Name (_CRS, Buffer { Memory32Fixed, IRQ {5} }) } */
    static const uint8_t ok[] = {
        0x5b, 0x82, 0x2e, 'V', 'D', '0', '0',
        0x08, '_', 'H', 'I', 'D', 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00,
        0x08, '_', 'C', 'R', 'S', 0x11, 0x14, 0x0a, 0x11,
        0x86, 0x09, 0x00, 0x01, 0x00, 0x10, 0x00, 0xd0, 0x00, 0x10, 0x00, 0x00, /* Memory32Fixed */
        0x22, 0x20, 0x00,                                                       /* IRQ {5} */
        0x79, 0x00};
    assert_int_equal(acpi_dsdt_virtio_mmio(guarded(ok, sizeof(ok)), sizeof(ok), d, NMAX), 1);
    expect(&d[0], 0xd0001000, 0x1000, 5, false);
    /* the same under _CID: not a _HID */
    uint8_t cid[sizeof(ok)];
    memcpy(cid, ok, sizeof(ok));
    memcpy(cid + 8, "_CID", 4);
    assert_int_equal(acpi_dsdt_virtio_mmio(guarded(cid, sizeof(cid)), sizeof(cid), d, NMAX), 0);
    /* no interrupt descriptor */
    uint8_t noirq[sizeof(ok)];
    memcpy(noirq, ok, sizeof(ok));
    noirq[sizeof(ok) - 5] = 0x79; /* an End Tag where the IRQ was */
    assert_int_equal(acpi_dsdt_virtio_mmio(guarded(noirq, sizeof(noirq)), sizeof(noirq), d, NMAX),
                     0);
    /* a device package that claims more than the table holds */
    uint8_t longpkg[sizeof(ok)];
    memcpy(longpkg, ok, sizeof(ok));
    longpkg[2] = 0x2f;
    assert_int_equal(
        acpi_dsdt_virtio_mmio(guarded(longpkg, sizeof(longpkg)), sizeof(longpkg), d, NMAX), 0);
    /* the same device twice (one window): found once */
    uint8_t twice[2 * sizeof(ok)];
    memcpy(twice, ok, sizeof(ok));
    memcpy(twice + sizeof(ok), ok, sizeof(ok));
    assert_int_equal(acpi_dsdt_virtio_mmio(guarded(twice, sizeof(twice)), sizeof(twice), d, NMAX),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_microvm), cmocka_unit_test(test_motevm),
        cmocka_unit_test(test_truncated),    cmocka_unit_test(test_mutated),
        cmocka_unit_test(test_garbage),      cmocka_unit_test(test_forms),
    };
    return cmocka_run_group_tests_name("kernel_acpi_dsdt", tests, NULL, NULL);
}
