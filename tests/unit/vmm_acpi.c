/* motevm's ACPI tables: the AML writer, every table (signature, length, revision, checksum, field
 * offsets), the MADT per vCPU count, the DSDT's bytes for 0, 1 and 2 virtio-mmio devices, the
 * whole set at its addresses, and the register state of a mailbox-woken AP. The devices the
 * tables announce are in vmm_acpi_devices.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/acpi/acpi.h"
#include "vmm/acpi/aml.h"
#include "vmm/boot/regs.h"
#include "vmm/boot/tables.h"

static uint8_t buf[0x20000];

static uint32_t rd32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t rd64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Signature, length, revision, OEM fields and a zero checksum. */
static void check_header(const uint8_t *t, const char *sig, uint32_t len, uint8_t rev,
                         const char *table_id)
{
    assert_memory_equal(t, sig, 4);
    assert_int_equal(rd32(t + 4), len);
    assert_int_equal(t[8], rev);
    assert_int_equal(acpi_checksum(t, len), 0);
    assert_memory_equal(t + 10, "FIRECK", 6);
    assert_memory_equal(t + 16, table_id, 8);
    assert_memory_equal(t + 28, "MOTE", 4);
}

/* ---- the AML writer ---- */

static size_t encode_int(uint64_t v, uint8_t *out)
{
    struct aml_buf b;
    aml_init(&b, out, 16);
    aml_integer(&b, v);
    assert_int_equal(b.err, 0);
    return b.len;
}

static void test_aml_integers_and_names(void **state)
{
    uint8_t o[64];
    struct aml_buf b;

    assert_int_equal(encode_int(0, o), 1);
    assert_int_equal(o[0], 0x00);
    assert_int_equal(encode_int(1, o), 1);
    assert_int_equal(o[0], 0x01);
    assert_int_equal(encode_int(5, o), 2);
    assert_memory_equal(o, "\x0a\x05", 2);
    assert_int_equal(encode_int(0x3f8, o), 3);
    assert_memory_equal(o, "\x0b\xf8\x03", 3);
    assert_int_equal(encode_int(0xd0001000, o), 5);
    assert_memory_equal(o, "\x0c\x00\x10\x00\xd0", 5);
    assert_int_equal(encode_int(0x100000000ull, o), 9);
    assert_memory_equal(o, "\x0e\x00\x00\x00\x00\x01\x00\x00\x00", 9);

    aml_init(&b, o, sizeof(o));
    aml_name_string(&b, "\\_SB_");
    aml_name_string(&b, "_SB_.COM1");
    aml_name_string(&b, "\\_SB_.PCI0.ISA_");
    aml_eisaid(&b, "PNP0303");
    aml_string(&b, "LNRO0005");
    assert_int_equal(b.err, 0);
    assert_memory_equal(o, "\\_SB_" "\x2e_SB_COM1" "\\\x2f\x03_SB_PCI0ISA_"
                           "\x0c\x41\xd0\x03\x03" "\x0dLNRO0005", 5 + 9 + 15 + 5 + 10);
    assert_int_equal(b.len, 5 + 9 + 15 + 5 + 10);

    aml_init(&b, o, sizeof(o));
    aml_name_string(&b, "_SB");             /* not four characters */
    assert_int_equal(b.err, -EINVAL);
}

/* A scope with body bytes of filler, then its PkgLength bytes. */
static size_t pkg(size_t body, uint8_t *out)
{
    struct aml_buf b;
    aml_init(&b, buf, sizeof(buf));
    size_t m = aml_scope_open(&b, "_SB_");
    for (size_t i = 4; i < body; i++)
        aml_byte(&b, 0xa3); /* NoopOp */
    aml_close(&b, m);
    assert_int_equal(b.err, 0);
    assert_int_equal(b.p[0], AML_SCOPE);
    size_t n = b.len - 1 - body;
    memcpy(out, b.p + 1, n);
    return n;
}

static void test_aml_pkglength(void **state)
{
    uint8_t e[4];
    /* §20.2.4: one byte up to 63 (the length counts itself), then 1-3 more bytes */
    assert_int_equal(pkg(62, e), 1);
    assert_int_equal(e[0], 63);
    assert_int_equal(pkg(63, e), 2);
    assert_memory_equal(e, "\x41\x04", 2);        /* 65 = 0x41 */
    assert_int_equal(pkg(4093, e), 2);
    assert_memory_equal(e, "\x4f\xff", 2);        /* 4095 */
    assert_int_equal(pkg(4094, e), 3);
    assert_memory_equal(e, "\x81\x00\x01", 3);    /* 4097 */
    assert_int_equal(pkg(0x10000, e), 3);
    assert_memory_equal(e, "\x83\x00\x10", 3);    /* 0x10003 */
}

static void test_aml_overflow(void **state)
{
    uint8_t o[8];
    struct aml_buf b;
    aml_init(&b, o, sizeof(o));
    aml_string(&b, "LNRO0005");
    assert_int_equal(b.err, -ENOSPC);
    size_t len = b.len;
    aml_byte(&b, 1);                        /* dropped: the error is sticky */
    assert_int_equal(b.len, len);
    assert_true(len < sizeof(o));
    assert_int_equal(acpi_dsdt_build(buf, 100, NULL, 0), -ENOSPC);
}

/* ---- RSDP, XSDT, FADT ---- */

static void test_rsdp(void **state)
{
    memset(buf, 0xee, 64);
    assert_int_equal(acpi_rsdp_build(buf, 64, 0xe0100), 36);
    assert_memory_equal(buf, "RSD PTR ", 8);
    assert_int_equal(acpi_checksum(buf, 20), 0);          /* ACPI 1.0 checksum */
    assert_int_equal(acpi_checksum(buf, 36), 0);          /* extended checksum */
    assert_memory_equal(buf + 9, "FIRECK", 6);
    assert_int_equal(buf[15], 2);                         /* revision */
    assert_int_equal(rd32(buf + 16), 0);                  /* no RSDT */
    assert_int_equal(rd32(buf + 20), 36);                 /* length */
    assert_int_equal(rd64(buf + 24), 0xe0100);            /* XSDT */
    assert_memory_equal(buf + 33, "\0\0\0", 3);
    assert_int_equal(buf[36], 0xee);                      /* nothing past it */
    assert_int_equal(acpi_rsdp_build(buf, 35, 0), -ENOSPC);
}

static void test_xsdt(void **state)
{
    const gpa_t t[2] = { 0xe0200, 0xe0400 };
    assert_int_equal(acpi_xsdt_build(buf, 64, t, 2), 52);
    check_header(buf, "XSDT", 52, 1, "FCMVXSDT");
    assert_int_equal(rd64(buf + 36), 0xe0200);
    assert_int_equal(rd64(buf + 44), 0xe0400);
    assert_int_equal(acpi_xsdt_build(buf, 51, t, 2), -ENOSPC);
}

static void test_fadt(void **state)
{
    assert_int_equal(acpi_fadt_build(buf, 512, 0xe1000), 276);
    check_header(buf, "FACP", 276, 6, "FCVMFADT");
    assert_int_equal(rd32(buf + ACPI_FADT_DSDT), 0);      /* only X_DSDT */
    assert_int_equal(rd64(buf + ACPI_FADT_X_DSDT), 0xe1000);
    assert_int_equal(rd32(buf + ACPI_FADT_FLAGS), (1u << 20) | (1u << 4) | (1u << 5));
    assert_int_equal(buf[109] | buf[110] << 8, 0x1c);     /* no VGA, no MSI, no ASPM */
    assert_int_equal(buf[131], 5);                        /* minor version */
    assert_int_equal(rd32(buf + ACPI_FADT_PM1A_CNT_BLK), 0);
    assert_int_equal(rd32(buf + ACPI_FADT_PM1B_CNT_BLK), 0);
    for (unsigned off = 148; off < 244; off++)            /* no X_PM1/GPE blocks */
        assert_int_equal(buf[off], 0);
    static const uint8_t gas[12] = { 1, 8, 0, 1, 0xc0, 0x03, 0, 0, 0, 0, 0, 0 };
    assert_memory_equal(buf + ACPI_FADT_SLEEP_CONTROL_REG, gas, 12);
    assert_memory_equal(buf + ACPI_FADT_SLEEP_STATUS_REG, gas, 12);
    assert_memory_equal(buf + 268, "FIRECKVM", 8);
    assert_int_equal(acpi_fadt_build(buf, 275, 0), -ENOSPC);
    assert_int_equal(ACPI_S5_SLEEP_CTL_VALUE, 0x34);
}

/* ---- MADT ---- */

static void check_madt(unsigned n)
{
    size_t len = 44 + 12 + 8 * n + 6 + 16;
    memset(buf, 0xee, sizeof(buf));
    assert_int_equal(acpi_madt_build(buf, sizeof(buf), n), (int)len);
    check_header(buf, "APIC", len, 6, "FCVMMADT");
    assert_int_equal(rd32(buf + 36), 0xfee00000);
    assert_int_equal(rd32(buf + 40), 0);                  /* no PC-AT 8259 flag, as FC */

    const uint8_t *e = buf + 44;
    /* IOAPIC: id vCPUs + 1, 0xfec00000, GSI base 0 */
    assert_memory_equal(e, "\x01\x0c", 2);
    assert_int_equal(e[2], n + 1);
    assert_int_equal(rd32(e + 4), 0xfec00000);
    assert_int_equal(rd32(e + 8), 0);
    e += 12;
    for (unsigned i = 0; i < n; i++, e += 8) {
        assert_int_equal(e[0], 0);
        assert_int_equal(e[1], 8);
        assert_int_equal(e[2], i);                        /* processor UID */
        assert_int_equal(e[3], i);                        /* APIC id */
        assert_int_equal(rd32(e + 4), 1);                 /* enabled */
    }
    assert_memory_equal(e, "\x04\x06\xff\x00\x00\x01", 6); /* NMI on LINT1, all CPUs */
    e += 6;
    /* ACPI 6.4 Multiprocessor Wakeup: type 0x10, length 16, version 0, mailbox */
    assert_memory_equal(e, "\x10\x10\x00\x00\x00\x00\x00\x00", 8);
    assert_int_equal(rd64(e + 8), 0xfef00000);
    assert_int_equal(e + 16 - buf, len);
    assert_int_equal(buf[len], 0xee);
}

static void test_madt(void **state)
{
    check_madt(1);
    check_madt(2);
    check_madt(32);
    assert_int_equal(acpi_madt_build(buf, sizeof(buf), 0), -EINVAL);
    assert_int_equal(acpi_madt_build(buf, sizeof(buf), 33), -EINVAL);
    assert_int_equal(acpi_madt_build(buf, 44 + 12 + 8 + 21, 1), -ENOSPC);
}

/* ---- DSDT ---- */

/* The body (after the header) with no virtio-mmio device; `iasl -d` then `iasl -oa` gives
 * these bytes back (tests/integration/test_acpi_tables.py). */
static const uint8_t dsdt_fixed[] =
    /* Name (_S5, Package (4) {5, 5, 0, 0}) */
    "\x08\x5f\x53\x35\x5f\x12\x08\x04\x0a\x05\x0a\x05\x00\x00"
    /* Scope (\_SB) { ... PkgLength 0x84 */
    "\x10\x44\x08\x5c\x5f\x53\x42\x5f"
    /* Device (COM1) */
    "\x5b\x82\x3c\x43\x4f\x4d\x31\x08\x5f\x48\x49\x44\x0c\x41\xd0\x05\x01\x08\x5f\x55\x49\x44"
    "\x00\x08\x5f\x44\x44\x4e\x0d\x43\x4f\x4d\x31\x00\x08\x5f\x43\x52\x53\x11\x16\x0a\x13\x89"
    "\x06\x00\x03\x01\x04\x00\x00\x00\x47\x01\xf8\x03\xf8\x03\x01\x08\x79\x00"
    /* Device (PS2_) */
    "\x5b\x82\x3d\x50\x53\x32\x5f\x08\x5f\x48\x49\x44\x0c\x41\xd0\x03\x03\x14\x09\x5f\x53\x54"
    "\x41\x00\xa4\x0a\x0f\x08\x5f\x43\x52\x53\x11\x1e\x0a\x1b\x47\x01\x60\x00\x60\x00\x01\x01"
    "\x47\x01\x64\x00\x64\x00\x01\x01\x89\x06\x00\x03\x01\x01\x00\x00\x00\x79\x00";
#define DSDT_FIXED_LEN (sizeof(dsdt_fixed) - 1)
#define SCOPE_PKGLEN_AT 15  /* offset in the body of the \_SB_ scope's two PkgLength bytes */

/* Device (Vnnn) { _HID "LNRO0005", _UID n, _CCA 1, _CRS { Memory32Fixed (ReadWrite, addr,
 * 0x1000), Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) {gsi} } }, written out by
 * hand from ACPI 6.5 §20 and §6.4: 67 bytes for n < 2 (ZeroOp/OneOp), 68 from n = 2. */
static size_t virtio_node(uint8_t *o, unsigned n, uint32_t addr, uint32_t gsi)
{
    uint8_t *p = o;
    memcpy(p, n < 2 ? "\x5b\x82\x41\x04" : "\x5b\x82\x42\x04", 4); /* PkgLength 65/66 */
    p += 4;
    char name[8];
    snprintf(name, sizeof(name), "V%03u", n);
    memcpy(p, name, 4);
    p += 4;
    memcpy(p, "\x08_HID\x0dLNRO0005\x00", 15);
    p += 15;
    memcpy(p, "\x08_UID", 5);
    p += 5;
    if (n >= 2)
        *p++ = 0x0a;                                      /* BytePrefix */
    *p++ = (uint8_t)n;
    memcpy(p, "\x08_CCA\x01", 6);
    p += 6;
    memcpy(p, "\x08_CRS\x11\x1a\x0a\x17", 9);             /* Buffer, PkgLength 26, size 23 */
    p += 9;
    memcpy(p, "\x86\x09\x00\x01", 4);                     /* Memory32Fixed, read/write */
    memcpy(p + 4, &addr, 4);
    memcpy(p + 8, "\x00\x10\x00\x00", 4);
    p += 12;
    memcpy(p, "\x89\x06\x00\x03\x01", 5);                 /* consumer, edge, high, exclusive */
    memcpy(p + 5, &gsi, 4);
    p += 9;
    memcpy(p, "\x79\x00", 2);                              /* end tag */
    p += 2;
    return (size_t)(p - o);
}

static void check_dsdt(unsigned n)
{
    struct acpi_mmio_dev devs[2] = { { 0xd0001000, 0x1000, 5 }, { 0xd0002000, 0x1000, 6 } };
    uint8_t want[512];
    size_t len = DSDT_FIXED_LEN;

    memcpy(want, dsdt_fixed, DSDT_FIXED_LEN);
    for (unsigned i = 0; i < n; i++) {
        size_t node = virtio_node(want + len, i, (uint32_t)devs[i].addr, devs[i].gsi);
        assert_int_equal(node, 67);
        len += node;
    }
    size_t scope = len - 14 - 1;                          /* from the PkgLength on */
    want[SCOPE_PKGLEN_AT] = (uint8_t)(0x40 | (scope & 0xf));
    want[SCOPE_PKGLEN_AT + 1] = (uint8_t)(scope >> 4);

    memset(buf, 0, 1024);
    assert_int_equal(acpi_dsdt_build(buf, sizeof(buf), devs, n), (int)(36 + len));
    check_header(buf, "DSDT", 36 + len, 2, "FCVMDSDT");
    assert_memory_equal(buf + 36, want, len);
}

static void test_dsdt(void **state)
{
    check_dsdt(0);
    check_dsdt(1);
    check_dsdt(2);
    /* the \_S5_ package sits right after the header, where a simple parser finds it */
    assert_memory_equal(buf + 36, "\x08_S5_\x12", 6);
    struct acpi_mmio_dev bad[] = { { 0xfffff000, 0x2000, 5 } };
    assert_int_equal(acpi_dsdt_build(buf, sizeof(buf), bad, 1), -EINVAL);
    bad[0] = (struct acpi_mmio_dev){ 0x100000000ull, 0x1000, 5 };
    assert_int_equal(acpi_dsdt_build(buf, sizeof(buf), bad, 1), -EINVAL);
    bad[0].size = 0;
    assert_int_equal(acpi_dsdt_build(buf, sizeof(buf), bad, 1), -EINVAL);
    assert_int_equal(acpi_dsdt_build(buf, sizeof(buf), NULL, 1), -EINVAL);
    assert_int_equal(acpi_dsdt_build(buf, sizeof(buf), bad, ACPI_MMIO_DEVS_MAX + 1), -EINVAL);
}

static void test_dsdt_many_devices(void **state)
{
    struct acpi_mmio_dev devs[ACPI_MMIO_DEVS_MAX];
    for (unsigned i = 0; i < ACPI_MMIO_DEVS_MAX; i++)
        devs[i] = (struct acpi_mmio_dev){ 0xd0001000 + 0x1000ull * i, 0x1000, 5 + i };
    int len = acpi_dsdt_build(buf, sizeof(buf), devs, ACPI_MMIO_DEVS_MAX);
    assert_true(len > 36 + (int)DSDT_FIXED_LEN + 66 * ACPI_MMIO_DEVS_MAX);
    assert_int_equal(acpi_checksum(buf, len), 0);
    assert_non_null(memmem(buf, len, "V031", 4));
    const uint8_t *pl = buf + 36 + SCOPE_PKGLEN_AT;       /* 2-byte PkgLength, to the end */
    assert_int_equal(pl[0] >> 6, 1);
    assert_int_equal((pl[0] & 0xf) | pl[1] << 4, len - 36 - SCOPE_PKGLEN_AT);
}

/* ---- the whole set, as boot_load writes it at 0xe0000 ---- */

static const uint8_t *at(gpa_t a)
{
    return buf + (a - ACPI_RSDP_ADDR);
}

static void test_build_all(void **state)
{
    struct acpi_mmio_dev dev = { 0xd0001000, 0x1000, 5 };
    struct acpi_config c = { 2, &dev, 1 };
    size_t area = ACPI_AREA_END - ACPI_RSDP_ADDR;

    assert_int_equal(acpi_build(buf, area, &c), 0);
    assert_int_equal(ACPI_RSDP_ADDR, 0xe0000);
    const uint8_t *rsdp = at(ACPI_RSDP_ADDR);
    assert_memory_equal(rsdp, "RSD PTR ", 8);
    assert_int_equal(acpi_checksum(rsdp, 36), 0);
    const uint8_t *xsdt = at(rd64(rsdp + 24));
    check_header(xsdt, "XSDT", 52, 1, "FCMVXSDT");
    const uint8_t *fadt = at(rd64(xsdt + 36));
    const uint8_t *madt = at(rd64(xsdt + 44));
    check_header(fadt, "FACP", 276, 6, "FCVMFADT");
    check_header(madt, "APIC", 44 + 12 + 16 + 6 + 16, 6, "FCVMMADT");
    const uint8_t *dsdt = at(rd64(fadt + ACPI_FADT_X_DSDT));
    assert_memory_equal(dsdt, "DSDT", 4);
    assert_int_equal(acpi_checksum(dsdt, rd32(dsdt + 4)), 0);
    assert_non_null(memmem(dsdt, rd32(dsdt + 4), "LNRO0005", 8));
    /* the fixed addresses docs/motevm.md gives */
    assert_int_equal(rd64(rsdp + 24), 0xe0100);
    assert_int_equal(rd64(xsdt + 36), 0xe0200);
    assert_int_equal(rd64(xsdt + 44), 0xe0400);
    assert_int_equal(rd64(fadt + ACPI_FADT_X_DSDT), 0xe1000);

    c.vcpus = 0;
    assert_int_equal(acpi_build(buf, area, &c), -EINVAL);
    c.vcpus = 1;
    assert_int_equal(acpi_build(buf, area - 1, &c), -ENOSPC);
}

/* ---- what a mailbox-woken AP starts with ---- */

static void test_ap_registers(void **state)
{
    struct kvm_regs r;
    struct kvm_sregs s;

    memset(&r, 0x5a, sizeof(r));
    boot_ap_regs(&r, 7, 0x123000);
    assert_int_equal(r.rip, 0x123000);
    assert_int_equal(r.rdi, 7);
    assert_int_equal(r.rsp, 0);
    assert_int_equal(r.rbp, 0);
    assert_int_equal(r.rsi, 0);
    assert_int_equal(r.rflags, 2);

    memset(&s, 0, sizeof(s));
    s.apic_base = 0xfee00800;
    boot_ap_sregs(&s);
    assert_int_equal(s.apic_base, 0xfee00800);            /* kept */
    assert_int_equal(s.cr0, 0x80010033);
    assert_int_equal(s.cr3, 0xa0000);
    assert_int_equal(s.cr4, 0x20);
    assert_int_equal(s.efer, 0x500);
    assert_int_equal(s.gdt.base, 0xa3000);
    assert_int_equal(s.gdt.limit, 31);
    assert_int_equal(s.idt.base, 0xa3020);
    assert_int_equal(s.idt.limit, 7);
    assert_int_equal(s.cs.selector, 0x08);
    assert_int_equal(s.cs.l, 1);
    assert_int_equal(s.ss.selector, 0x10);
    assert_int_equal(s.ds.selector, 0x10);
    assert_int_equal(s.tr.selector, 0x18);

    uint64_t pml4[512], pdpt[512], pd[512];
    boot_page_tables_at(pml4, pdpt, pd, 0xa1000, 0xa2000);
    assert_int_equal(pml4[0], 0xa1003);
    assert_int_equal(pdpt[0], 0xa2003);
    assert_int_equal(pd[511], (511ull << 21) | 0x83);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aml_integers_and_names),
        cmocka_unit_test(test_aml_pkglength),
        cmocka_unit_test(test_aml_overflow),
        cmocka_unit_test(test_rsdp),
        cmocka_unit_test(test_xsdt),
        cmocka_unit_test(test_fadt),
        cmocka_unit_test(test_madt),
        cmocka_unit_test(test_dsdt),
        cmocka_unit_test(test_dsdt_many_devices),
        cmocka_unit_test(test_build_all),
        cmocka_unit_test(test_ap_registers),
    };
    return cmocka_run_group_tests_name("vmm_acpi", tests, NULL, NULL);
}
