/* Firmware table parsing (kernel/drivers/mptable.c, acpi.c): motevm's MP table read back, and
 * hand-built ACPI tables; truncated tables and bad checksums are refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "abi/acpi.h"
#include "common/mptable.h"
#include "mote/platform.h"
#include "vmm/boot/mptable.h"

#define MEM_SIZE 0x100000
static uint8_t mem[MEM_SIZE];
static struct platform p;

static const void *rd(uint64_t paddr, size_t len)
{
    if (paddr >= MEM_SIZE || len > MEM_SIZE - paddr)
        return NULL;
    return mem + paddr;
}

static void test_mptable_from_motevm(void **state)
{
    for (unsigned n = 1; n <= 32; n *= 2) {
        memset(mem, 0, sizeof(mem));
        assert_true(mptable_build(mem + 0x9fc00, 0x400, n) > 0);
        platform_defaults(&p);
        assert_int_equal(mptable_parse(&p, rd), 0);
        assert_string_equal(p.source, "MP table");
        assert_int_equal(p.ncpus, n);
        for (unsigned i = 0; i < n; i++)
            assert_int_equal(p.apic_id[i], i);
        assert_int_equal(p.nioapics, 1);
        assert_int_equal(p.ioapic[0].addr, 0xfec00000);
        assert_int_equal(p.ioapic[0].id, n + 1);
        assert_int_equal(p.isa[4].gsi, 4);
        assert_false(p.isa[4].level);
    }
}

static void test_mptable_entry_count_zero(void **state)
{
    memset(mem, 0, sizeof(mem));
    assert_true(mptable_build(mem + 0x9fc00, 0x400, 2) > 0);
    struct mpf_intel *mpf = (struct mpf_intel *)(mem + 0x9fc00);
    struct mpc_table *t = (struct mpc_table *)(mem + mpf->physptr);
    t->oemcount = 0; /* as QEMU microvm's firmware writes it */
    t->checksum = 0;
    t->checksum = (uint8_t)(0 - mp_checksum(t, t->length));
    platform_defaults(&p);
    assert_int_equal(mptable_parse(&p, rd), 0);
    assert_int_equal(p.ncpus, 2);
}

static void test_mptable_bad(void **state)
{
    memset(mem, 0, sizeof(mem));
    platform_defaults(&p);
    assert_int_equal(mptable_parse(&p, rd), -ENOENT);

    assert_true(mptable_build(mem + 0x9fc00, 0x400, 2) > 0);
    struct mpf_intel *mpf = (struct mpf_intel *)(mem + 0x9fc00);
    struct mpc_table *t = (struct mpc_table *)(mem + mpf->physptr);
    t->oem[0] ^= 1; /* table checksum now wrong */
    assert_int_equal(mptable_parse(&p, rd), -EINVAL);
    t->oem[0] ^= 1;
    t->length = 0xffff; /* runs past memory / checksum */
    assert_int_equal(mptable_parse(&p, rd), -EINVAL);

    memset(mem, 0, sizeof(mem));
    assert_true(mptable_build(mem + 0x9fc00, 0x400, 2) > 0);
    mpf->checksum ^= 1; /* the floating pointer's own checksum: not found at all */
    assert_int_equal(mptable_parse(&p, rd), -ENOENT);
}

/* ACPI tables built by hand at fixed addresses. */
static void finish(struct acpi_header *h, const char *sig, uint32_t len)
{
    memcpy(h->signature, sig, 4);
    h->length = len;
    h->revision = 1;
    h->checksum = 0;
    h->checksum = (uint8_t)(0 - mp_checksum(h, len));
}

static void build_acpi(unsigned ncpus, bool mailbox)
{
    memset(mem, 0, sizeof(mem));
    struct acpi_rsdp *r = (struct acpi_rsdp *)(mem + 0xe0000);
    memcpy(r->signature, ACPI_RSDP_SIGNATURE, 8);
    r->revision = 2;
    r->length = sizeof(*r);
    r->xsdt_address = 0xe1000;
    r->checksum = (uint8_t)(0 - mp_checksum(r, 20));
    r->extended_checksum = (uint8_t)(0 - mp_checksum(r, sizeof(*r)));

    struct acpi_header *x = (struct acpi_header *)(mem + 0xe1000);
    uint64_t ptrs[2] = {0xe2000, 0xe3000};
    memcpy(x + 1, ptrs, sizeof(ptrs));
    finish(x, "XSDT", sizeof(*x) + sizeof(ptrs));

    struct acpi_madt *m = (struct acpi_madt *)(mem + 0xe2000);
    m->lapic_address = 0xfee00000;
    uint8_t *e = (uint8_t *)(m + 1);
    for (unsigned i = 0; i < ncpus; i++) {
        struct acpi_madt_lapic l = {ACPI_MADT_LAPIC, 8, (uint8_t)i, (uint8_t)i, ACPI_MADT_ENABLED};
        memcpy(e, &l, sizeof(l));
        e += sizeof(l);
    }
    struct acpi_madt_lapic off = {ACPI_MADT_LAPIC, 8, 99, 99, 0}; /* disabled: not counted */
    memcpy(e, &off, sizeof(off));
    e += sizeof(off);
    struct acpi_madt_ioapic io = {ACPI_MADT_IOAPIC, 12, (uint8_t)(ncpus + 1), 0, 0xfec00000, 0};
    memcpy(e, &io, sizeof(io));
    e += sizeof(io);
    struct acpi_madt_iso iso = {ACPI_MADT_ISO, 10, 0, 0, 2, 0};
    memcpy(e, &iso, sizeof(iso));
    e += sizeof(iso);
    struct acpi_madt_iso sci = {ACPI_MADT_ISO, 10, 0, 9, 9, 0xd}; /* level, active high */
    memcpy(e, &sci, sizeof(sci));
    e += sizeof(sci);
    if (mailbox) {
        struct acpi_madt_mp_wakeup w = {ACPI_MADT_MP_WAKEUP, 16, 0, 0, 0xfeb00000};
        memcpy(e, &w, sizeof(w));
        e += sizeof(w);
    }
    finish(&m->hdr, "APIC", (uint32_t)(e - (uint8_t *)m));

    uint8_t *f = mem + 0xe3000;
    uint32_t dsdt = 0xe4000, pm1a = 0x604;
    memcpy(f + ACPI_FADT_DSDT, &dsdt, 4);
    memcpy(f + ACPI_FADT_PM1A_CNT_BLK, &pm1a, 4);
    finish((struct acpi_header *)f, "FACP", ACPI_FADT_LENGTH_6);

    /* DSDT: Name(\_S5_, Package(4) {0x05, 0, 0, 0}) */
    static const uint8_t aml[] = {0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04,
                                  0x0a, 0x05, 0x00, 0x00, 0x00};
    memcpy(mem + dsdt + sizeof(struct acpi_header), aml, sizeof(aml));
    finish((struct acpi_header *)(mem + dsdt), "DSDT", sizeof(struct acpi_header) + sizeof(aml));
}

static void test_acpi(void **state)
{
    build_acpi(4, true);
    platform_defaults(&p);
    assert_int_equal(acpi_parse(&p, 0, false, rd), 0); /* found at 0xe0000 without a hint */
    assert_string_equal(p.source, "ACPI");
    assert_int_equal(p.ncpus, 4);
    assert_int_equal(p.apic_id[3], 3);
    assert_int_equal(p.nioapics, 1);
    assert_int_equal(p.ioapic[0].id, 5);
    assert_int_equal(p.isa[0].gsi, 2);
    assert_int_equal(p.isa[9].gsi, 9);
    assert_true(p.isa[9].level);
    assert_false(p.isa[9].active_low);
    assert_int_equal(p.mp_wakeup_mailbox, 0xfeb00000);
    assert_int_equal(p.fadt, 0xe3000);
    assert_int_equal(acpi_read_fadt(&p, rd), 0);
    assert_int_equal(p.dsdt, 0xe4000);
    assert_int_equal(p.pm1a_cnt, 0x604);
    assert_int_equal(acpi_s5_type(p.dsdt, rd), 5);
}

static void test_acpi_hint_and_bad(void **state)
{
    build_acpi(2, false);
    platform_defaults(&p);
    assert_int_equal(acpi_parse(&p, 0xe0000, false, rd), 0);
    assert_int_equal(p.mp_wakeup_mailbox, 0);
    assert_int_equal(acpi_parse(&p, 0xe0010, false, rd), -ENOENT); /* hint points at nothing */

    mem[0xe2000 + 40] ^= 0xff; /* MADT checksum broken */
    platform_defaults(&p);
    assert_int_equal(acpi_parse(&p, 0, false, rd), -EINVAL);

    build_acpi(2, false);
    ((struct acpi_header *)(mem + 0xe1000))->length = 0x7fffffff; /* XSDT runs off the end */
    assert_int_equal(acpi_parse(&p, 0, false, rd), -EINVAL);

    build_acpi(2, false);
    mem[0xe0000 + 9] ^= 1; /* RSDP checksum */
    assert_int_equal(acpi_parse(&p, 0, true, rd), -ENOENT);

    memset(mem, 0, sizeof(mem));
    assert_int_equal(acpi_parse(&p, 0, true, rd), -ENOENT);
    assert_int_equal(acpi_s5_type(0, rd), -ENOENT);
}

static void test_rsdp_scan_in_bios_area(void **state)
{
    build_acpi(1, false);
    memmove(mem + 0xf6a30, mem + 0xe0000, sizeof(struct acpi_rsdp));
    memset(mem + 0xe0000, 0, sizeof(struct acpi_rsdp));
    platform_defaults(&p);
    assert_int_equal(acpi_parse(&p, 0, false, rd), -ENOENT); /* no scan: not found */
    assert_int_equal(acpi_parse(&p, 0, true, rd), 0);
    assert_int_equal(p.ncpus, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mptable_from_motevm),
        cmocka_unit_test(test_mptable_entry_count_zero),
        cmocka_unit_test(test_mptable_bad),
        cmocka_unit_test(test_acpi),
        cmocka_unit_test(test_acpi_hint_and_bad),
        cmocka_unit_test(test_rsdp_scan_in_bios_area),
    };
    return cmocka_run_group_tests_name("kernel_platform", tests, NULL, NULL);
}
