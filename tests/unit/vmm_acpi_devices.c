/* The two devices motevm's ACPI tables announce, through their bus callbacks: the sleep
 * control register (power-off) and the Multiprocessor Wakeup mailbox, with a fake wake_cpu
 * standing in for the machine: the register protocol, refusals and hostile accesses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/boot/layout.h"
#include "vmm/devices/acpi_sleep.h"
#include "vmm/devices/bus.h"
#include "vmm/devices/mp_wakeup.h"
#include "vmm/log.h"

static struct {
    int stops, status;
    int wakes;
    uint32_t apic_id;
    uint64_t entry;
    int rc;                 /* what the fake wake_cpu returns */
} seen;

static void fake_stop(void *ctx, int status)
{
    if (seen.stops++ == 0)
        seen.status = status;
}

static int fake_wake(void *ctx, uint32_t apic_id, uint64_t entry)
{
    seen.wakes++;
    seen.apic_id = apic_id;
    seen.entry = entry;
    return seen.rc;
}

static struct dev_env env = { .stop = fake_stop, .wake_cpu = fake_wake, .in_fd = -1 };

static int setup(void **state)
{
    memset(&seen, 0, sizeof(seen));
    log_init(LOG_OFF, 2, NULL);
    return 0;
}

static void test_sleep_register(void **state)
{
    struct bus b;
    uint8_t v;
    memset(&b, 0, sizeof(b));
    void *dev = acpi_sleep_create(&env);
    assert_int_equal(bus_add(&b, BUS_PIO, ACPI_SLEEP_PORT, 1, "acpi-sleep", &acpi_sleep_ops,
                             dev), 0);

    bus_read(&b, BUS_PIO, 0x3c0, &v, 1);
    assert_int_equal(v, 0);                               /* no wake status */
    v = 5 << 2;                                           /* SLP_TYP 5 without SLP_EN */
    bus_write(&b, BUS_PIO, 0x3c0, &v, 1, 1);
    v = (1 << 2) | (1 << 5);                              /* S1: not supported */
    bus_write(&b, BUS_PIO, 0x3c0, &v, 1, 1);
    assert_int_equal(seen.stops, 0);
    assert_int_equal(((struct acpi_sleep *)dev)->ignored, 2);
    uint8_t w[2] = { 0x34, 0 };
    bus_write(&b, BUS_PIO, 0x3c0, w, 2, 1);               /* word write: not this register */
    assert_int_equal(seen.stops, 0);
    v = 0x34 | 0xc0;                                      /* S5 with the reserved bits set */
    bus_write(&b, BUS_PIO, 0x3c0, &v, 1, 1);
    assert_int_equal(seen.stops, 1);
    assert_int_equal(seen.status, 0);
    char line[64];
    acpi_sleep_ops.report(dev, line, sizeof(line));
    assert_string_equal(line, "ignored=2");
    free(dev);
}

static void mb_write(struct bus *b, uint64_t off, uint64_t v, unsigned size)
{
    bus_write(b, BUS_MMIO, MP_WAKEUP_MAILBOX_ADDR + off, (const uint8_t *)&v, size, 1);
}

static uint64_t mb_read(struct bus *b, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    bus_read(b, BUS_MMIO, MP_WAKEUP_MAILBOX_ADDR + off, (uint8_t *)&v, size);
    return v;
}

static void test_mailbox(void **state)
{
    struct bus b;
    memset(&b, 0, sizeof(b));
    struct mp_wakeup *w = mp_wakeup_create(&env);
    assert_int_equal(bus_add(&b, BUS_MMIO, MP_WAKEUP_MAILBOX_ADDR, MP_WAKEUP_MAILBOX_SIZE,
                             "mp-wakeup", &mp_wakeup_ops, w), 0);

    /* registers read back; OS-reserved bytes are storage; firmware half reads 0 */
    mb_write(&b, 4, 1, 4);
    mb_write(&b, 8, 0x9a000, 8);
    mb_write(&b, 16, 0x1122334455667788ull, 8);
    mb_write(&b, 2047, 0x99, 1);
    assert_int_equal(mb_read(&b, 4, 4), 1);
    assert_int_equal(mb_read(&b, 8, 8), 0x9a000);
    assert_int_equal(mb_read(&b, 12, 4), 0);
    assert_int_equal(mb_read(&b, 16, 8), 0x1122334455667788ull);
    assert_int_equal(mb_read(&b, 2047, 1), 0x99);
    assert_int_equal(mb_read(&b, 2048, 8), 0);
    assert_int_equal(mb_read(&b, 0, 2), 0);
    assert_int_equal(seen.wakes, 0);

    /* Command = 1: wake APIC id 1 at the vector, then Command reads 0 */
    mb_write(&b, 0, 1, 2);
    assert_int_equal(seen.wakes, 1);
    assert_int_equal(seen.apic_id, 1);
    assert_int_equal(seen.entry, 0x9a000);
    assert_int_equal(mb_read(&b, 0, 2), 0);
    assert_int_equal(w->woken, 1);

    /* one 8-byte write of Command and ApicId together */
    mb_write(&b, 0, 1 | (3ull << 32), 8);
    assert_int_equal(seen.wakes, 2);
    assert_int_equal(seen.apic_id, 3);
    assert_int_equal(mb_read(&b, 0, 8), 3ull << 32);     /* Command acknowledged */

    /* refused by the machine (bad APIC id, already running): Command stays 1 */
    seen.rc = -ENOENT;
    mb_write(&b, 4, 40, 4);
    mb_write(&b, 0, 1, 2);
    assert_int_equal(seen.wakes, 3);
    assert_int_equal(mb_read(&b, 0, 2), 1);
    seen.rc = -EBUSY;
    mb_write(&b, 0, 1, 4);
    assert_int_equal(mb_read(&b, 0, 2), 1);
    assert_int_equal(w->refused, 2);
    assert_int_equal(w->woken, 2);

    /* a vector the AP's identity map does not cover: refused before the machine sees it */
    seen.rc = 0;
    mb_write(&b, 8, 1ull << 30, 8);
    mb_write(&b, 0, 1, 2);
    assert_int_equal(seen.wakes, 4);
    assert_int_equal(w->refused, 3);
    mb_write(&b, 8, (1ull << 30) - 0x1000, 8);
    mb_write(&b, 0, 1, 2);
    assert_int_equal(seen.wakes, 5);

    /* unknown command, noop */
    mb_write(&b, 0, 7, 2);
    assert_int_equal(w->refused, 4);
    assert_int_equal(mb_read(&b, 0, 2), 7);
    mb_write(&b, 0, 0, 2);
    assert_int_equal(w->refused, 4);
    assert_int_equal(seen.wakes, 5);

    /* hostile accesses: ignored and counted; nothing changes, nothing is woken */
    mb_write(&b, 0, 1, 1);                                /* byte of Command */
    mb_write(&b, 1, 1, 1);
    mb_write(&b, 2, 1, 4);                                /* misaligned */
    mb_write(&b, 6, 0xffff, 4);
    mb_write(&b, 2048, 1, 8);                             /* firmware half */
    mb_write(&b, 4088, 1, 8);
    uint8_t three[3] = { 1, 0, 0 };
    mp_wakeup_ops.write(w, 0, three, 3);                  /* odd width */
    uint8_t r[16];
    mp_wakeup_ops.read(w, 4, r, 16);                      /* too wide */
    mp_wakeup_ops.read(w, 3, r, 2);                       /* misaligned read: zeros */
    assert_memory_equal(r, "\0\0", 2);
    assert_int_equal(w->bad_accesses, 9);
    assert_int_equal(seen.wakes, 5);
    assert_int_equal(mb_read(&b, 0, 8), (40ull << 32));
    assert_int_equal(mb_read(&b, 2048, 8), 0);
    char line[96];
    mp_wakeup_ops.report(w, line, sizeof(line));
    assert_string_equal(line, "woken=3 refused=4 bad_accesses=9");
    free(w);
}

static void test_mailbox_without_machine(void **state)
{
    struct dev_env none = { .stop = fake_stop };
    struct mp_wakeup w;
    mp_wakeup_init(&w, &none);
    uint64_t one = 1;
    mp_wakeup_ops.write(&w, 0, (const uint8_t *)&one, 2);
    assert_int_equal(w.refused, 1);
    assert_int_equal(w.woken, 0);
    /* a flood of bad requests is counted; the log stops after MP_WAKEUP_LOG_MAX */
    for (int i = 0; i < 1000; i++)
        mp_wakeup_ops.write(&w, 0, (const uint8_t *)&one, 2);
    assert_int_equal(w.refused, 1001);
    assert_int_equal(w.logged, MP_WAKEUP_LOG_MAX + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sleep_register, setup),
        cmocka_unit_test_setup(test_mailbox, setup),
        cmocka_unit_test_setup(test_mailbox_without_machine, setup),
    };
    return cmocka_run_group_tests_name("vmm_acpi_devices", tests, NULL, NULL);
}
