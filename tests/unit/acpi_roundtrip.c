/* Monitor writes, kernel reads: motevm's ACPI tables (vmm/acpi) as the kernel's parser
 * (kernel/drivers/acpi.c) sees them: CPUs, IOAPIC, the wakeup mailbox, the power-off register
 * and \_S5_, for 1, 2 and 32 vCPUs, and the virtio-mmio devices of the DSDT. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/virtio/mmio.h"
#include "mote/platform.h"
#include "vmm/acpi/acpi.h"

#define MEM_SIZE 0x100000
static uint8_t mem[MEM_SIZE];
static struct platform p;

static const void *rd(uint64_t paddr, size_t len)
{
    if (paddr >= MEM_SIZE || len > MEM_SIZE - paddr)
        return NULL;
    return mem + paddr;
}

static void build(unsigned vcpus, unsigned ndevs)
{
    struct acpi_mmio_dev devs[ACPI_MMIO_DEVS_MAX];
    for (unsigned i = 0; i < ndevs; i++)
        devs[i] = (struct acpi_mmio_dev){ 0xd0001000 + 0x1000ull * i, 0x1000, 5 + i };
    struct acpi_config c = { vcpus, devs, ndevs };
    memset(mem, 0, sizeof(mem));
    assert_int_equal(acpi_build(mem + ACPI_RSDP_ADDR, MEM_SIZE - ACPI_RSDP_ADDR, &c), 0);
    platform_defaults(&p);
}

static void test_cpus_and_mailbox(void **state)
{
    static const unsigned counts[] = { 1, 2, 32 };
    for (unsigned k = 0; k < 3; k++) {
        unsigned n = counts[k];
        build(n, 2);
        assert_int_equal(acpi_parse(&p, ACPI_RSDP_ADDR, false, rd), 0);
        assert_string_equal(p.source, "ACPI");
        assert_int_equal(p.ncpus, n);
        for (unsigned i = 0; i < n; i++)
            assert_int_equal(p.apic_id[i], i);
        assert_int_equal(p.lapic_addr, 0xfee00000);
        assert_int_equal(p.nioapics, 1);
        assert_int_equal(p.ioapic[0].addr, 0xfec00000);
        assert_int_equal(p.ioapic[0].id, n + 1);
        assert_int_equal(p.isa[4].gsi, 4);          /* no overrides: identity */
        assert_false(p.isa[4].level);
        assert_int_equal(p.mp_wakeup_mailbox, MP_WAKEUP_MAILBOX_ADDR);
    }
}

static void test_found_without_hint(void **state)
{
    build(2, 0);
    assert_int_equal(acpi_parse(&p, 0, false, rd), 0); /* the kernel's probe of 0xe0000 */
    assert_int_equal(p.ncpus, 2);
}

static void test_power_off_registers(void **state)
{
    build(2, 3);
    assert_int_equal(acpi_parse(&p, ACPI_RSDP_ADDR, false, rd), 0);
    assert_int_equal(acpi_read_fadt(&p, rd), 0);
    assert_true(p.hw_reduced);
    assert_int_equal(p.pm1a_cnt, 0);
    assert_int_equal(p.pm1b_cnt, 0);
    assert_int_equal(p.dsdt, ACPI_DSDT_ADDR);
    assert_int_equal(p.sleep_ctl.space_id, ACPI_GAS_IO);
    assert_int_equal(p.sleep_ctl.address, ACPI_SLEEP_PORT);
    assert_int_equal(acpi_s5_type(p.dsdt, rd), ACPI_S5_SLP_TYP);
}

static void test_virtio_mmio_devices(void **state)
{
    struct virtio_mmio_param d[ACPI_MMIO_DEVS_MAX];
    for (unsigned n = 0; n <= 3; n++) {
        build(1, n);
        assert_int_equal(acpi_parse(&p, ACPI_RSDP_ADDR, false, rd), 0);
        assert_int_equal(acpi_virtio_mmio(&p, rd, NULL, 0, d, ACPI_MMIO_DEVS_MAX), n);
        for (unsigned i = 0; i < n; i++) {
            assert_int_equal(d[i].base, 0xd0001000 + 0x1000ull * i);
            assert_int_equal(d[i].size, 0x1000);
            assert_int_equal(d[i].irq, 5 + i);
            assert_false(d[i].level); /* motevm's: edge, active high */
            assert_false(d[i].active_low);
        }
    }
    /* Windows the command line named already are left out. */
    const uint64_t known[] = {0xd0002000, 0xd0000000};
    assert_int_equal(acpi_virtio_mmio(&p, rd, known, 2, d, ACPI_MMIO_DEVS_MAX), 2);
    assert_int_equal(d[0].base, 0xd0001000);
    assert_int_equal(d[1].base, 0xd0003000);
    /* A DSDT that fails its checksum: its devices are not trusted... */
    build(1, 2);
    assert_int_equal(acpi_parse(&p, ACPI_RSDP_ADDR, false, rd), 0);
    mem[ACPI_DSDT_ADDR + 9]++;
    assert_int_equal(acpi_virtio_mmio(&p, rd, NULL, 0, d, ACPI_MMIO_DEVS_MAX), -EINVAL);
    /* ...unless it adds none: then nothing is summed. */
    const uint64_t both[] = {0xd0001000, 0xd0002000};
    assert_int_equal(acpi_virtio_mmio(&p, rd, both, 2, d, ACPI_MMIO_DEVS_MAX), 0);
    /* No FADT known: nothing. */
    p.fadt = 0;
    assert_int_equal(acpi_virtio_mmio(&p, rd, NULL, 0, d, ACPI_MMIO_DEVS_MAX), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpus_and_mailbox),
        cmocka_unit_test(test_found_without_hint),
        cmocka_unit_test(test_power_off_registers),
        cmocka_unit_test(test_virtio_mmio_devices),
    };
    return cmocka_run_group_tests_name("acpi_roundtrip", tests, NULL, NULL);
}
