/* The virtio-mmio transport (vmm/devices/virtio_mmio.c) driven through its bus ops by a fake
 * driver, with a test device type behind it: identification registers, feature negotiation
 * and FEATURES_OK refusal, status rules, queue set-up and its hostile variants, notifications
 * and interrupts (inline and threaded), config space bounds, register widths, faults and reset.
 * Virtio 1.2 §4.2.2, §4.2.3, §2.1, §3.1.1. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tests/unit/virtio_guest.h"
#include "vmm/devices/virtio_mmio.h"

#define BASE 0xd0000000ull
#define IRQ 5
#define QSIZE 16
#define F(bit) (1ull << (bit))
#define TEST_FEATURES (F(VIRTIO_F_EVENT_IDX) | F(VIRTIO_F_INDIRECT_DESC) | F(3))

/* The test device: two queues; each chain's writable bytes are filled with 0xab and counted.
 * A chain whose first readable byte is 'F' breaks the device's rules. */
static struct {
    unsigned requests, resets;
    uint8_t config[12];
} tdev;

static int test_request(struct virtio_mmio *v, unsigned qi, struct virtq_chain *c,
                        uint32_t *written)
{
    uint8_t first = 0;
    tdev.requests++;
    virtq_iov_to_buf(c->iov, c->nread, 0, &first, 1);
    if (first == 'F')
        return virtq_set_fault(&v->queues[qi], -EINVAL, "test device refuses head %u", c->head);
    for (unsigned i = c->nread; i < c->nread + c->nwrite; i++)
        memset(c->iov[i].iov_base, 0xab, c->iov[i].iov_len);
    *written = (uint32_t)c->write_len;
    return 0;
}

static void test_reset_cb(struct virtio_mmio *v)
{
    tdev.resets++;
}

static const struct virtio_device_ops test_ops = {
    .name = "virtio-test",
    .device_id = 42,
    .request = test_request,
    .reset = test_reset_cb,
};

static struct virtio_mmio vm;
static struct fake_vq fq;

static int make_device(bool threaded)
{
    memset(&tdev, 0, sizeof(tdev));
    memcpy(tdev.config, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 12);
    struct virtio_mmio_params p = { .base = BASE,
                                    .irq = IRQ,
                                    .features = TEST_FEATURES,
                                    .config = tdev.config,
                                    .config_len = 12,
                                    .nqueues = 2,
                                    .queue_size = QSIZE,
                                    .threaded = threaded };
    if (virtio_mmio_init(&vm, &fg.env, &test_ops, &tdev, &p) || virtio_mmio_start(&vm))
        return -1;
    fvq_init(&fq, 0, QSIZE);
    return 0;
}

static int setup(void **state)
{
    return fg_setup(state) || make_device(false);
}

static int setup_threaded(void **state)
{
    return fg_setup(state) || make_device(true);
}

static int teardown(void **state)
{
    virtio_mmio_destroy(&vm);
    return fg_teardown(state);
}

static uint32_t status(void)
{
    return mmio_rd(&vm, VIRTIO_MMIO_STATUS);
}

/* One writable buffer of len bytes as a chain at descriptor d, made available. */
static gpa_t give_buffer(uint16_t d, uint32_t len)
{
    gpa_t a = fg_alloc(len);
    fvq_desc(&fq, d, a, len, VIRTQ_DESC_F_WRITE, 0);
    fvq_publish(&fq, d);
    return a;
}

static void test_identity(void **state)
{
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_VERSION), 2);
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_DEVICE_ID), 42);
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_VENDOR_ID), 0);
    assert_int_equal(status(), 0);
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_CONFIG_GENERATION), 0);
    mmio_wr(&vm, VIRTIO_MMIO_SHM_SEL, 0);
    assert_int_equal(mmio_rd(&vm, 0x0b0), 0xffffffff); /* SHMLenLow: no region */
    assert_int_equal(mmio_rd(&vm, 0x0b4), 0xffffffff);
    assert_int_equal(vm.bad_accesses, 0);
}

static void test_features(void **state)
{
    mmio_wr(&vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)TEST_FEATURES);
    mmio_wr(&vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_DEVICE_FEATURES), 1); /* VERSION_1 = bit 32 */
    mmio_wr(&vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 7);
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_DEVICE_FEATURES), 0);

    uint64_t offered = drv_negotiate(&vm, ~0ull);
    assert_int_equal(offered, TEST_FEATURES | F(VIRTIO_F_VERSION_1));
    assert_true(status() & VIRTIO_STATUS_FEATURES_OK);
    assert_int_equal(vm.driver_features, offered);
    /* after FEATURES_OK the driver features are fixed */
    mmio_wr(&vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    mmio_wr(&vm, VIRTIO_MMIO_DRIVER_FEATURES, 0);
    assert_int_equal(vm.driver_features, offered);
}

static void test_features_ok_refused(void **state)
{
    /* a legacy driver (no VERSION_1) does not get FEATURES_OK (§6.1, §3.1.1 step 6) */
    drv_negotiate(&vm, ~F(VIRTIO_F_VERSION_1));
    assert_false(status() & VIRTIO_STATUS_FEATURES_OK);
    assert_int_equal(status(), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    /* and DRIVER_OK without FEATURES_OK is refused */
    mmio_wr(&vm, VIRTIO_MMIO_STATUS, status() | VIRTIO_STATUS_DRIVER_OK);
    assert_false(status() & VIRTIO_STATUS_DRIVER_OK);

    /* a feature the device did not offer: refused too */
    mmio_wr(&vm, VIRTIO_MMIO_STATUS, 0);
    mmio_wr(&vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    mmio_wr(&vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    mmio_wr(&vm, VIRTIO_MMIO_DRIVER_FEATURES, 1 | 2); /* VERSION_1 and ACCESS_PLATFORM */
    mmio_wr(&vm, VIRTIO_MMIO_STATUS, status() | VIRTIO_STATUS_FEATURES_OK);
    assert_false(status() & VIRTIO_STATUS_FEATURES_OK);
}

static void test_status_rules(void **state)
{
    mmio_wr(&vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    mmio_wr(&vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE); /* clears DRIVER: ignored */
    assert_int_equal(status(), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    assert_int_equal(vm.bad_accesses, 1);
    mmio_wr(&vm, VIRTIO_MMIO_STATUS, 0x1ff); /* beyond 8 bits */
    assert_int_equal(vm.bad_accesses, 2);
    mmio_wr(&vm, VIRTIO_MMIO_STATUS, status() | VIRTIO_STATUS_FAILED);
    assert_true(status() & VIRTIO_STATUS_FAILED);
}

static void test_queue_setup(void **state)
{
    drv_negotiate(&vm, ~0ull);
    mmio_wr(&vm, VIRTIO_MMIO_QUEUE_SEL, 1);
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_QUEUE_NUM_MAX), QSIZE);
    mmio_wr(&vm, VIRTIO_MMIO_QUEUE_SEL, 2); /* no such queue */
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_QUEUE_READY), 0);
    mmio_wr(&vm, VIRTIO_MMIO_QUEUE_NUM, 8);
    assert_int_equal(vm.bad_accesses, 1);

    drv_queue(&vm, 0, &fq);
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_QUEUE_READY), 1);
    assert_true(vm.queues[0].event_idx && vm.queues[0].indirect);
    assert_int_equal(vm.queues[0].desc_gpa, fq.desc);
    /* set-up registers of a ready queue are read-only */
    mmio_wr(&vm, VIRTIO_MMIO_QUEUE_NUM, 4);
    mmio_wr(&vm, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x5000);
    assert_int_equal(vm.queues[0].num, QSIZE);
    assert_int_equal(vm.queues[0].desc_gpa, fq.desc);
    /* QueueReady = 0 stops the queue */
    mmio_wr(&vm, VIRTIO_MMIO_QUEUE_READY, 0);
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_QUEUE_READY), 0);
    assert_false(status() & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
}

/* Hostile queue set-ups: each ends in DEVICE_NEEDS_RESET with the queue not ready. */
static void expect_queue_refused(uint32_t num, bool set_addresses, bool features_ok)
{
    mmio_wr(&vm, VIRTIO_MMIO_STATUS, 0);
    if (features_ok)
        drv_negotiate(&vm, ~0ull);
    else
        mmio_wr(&vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    mmio_wr(&vm, VIRTIO_MMIO_QUEUE_SEL, 0);
    mmio_wr(&vm, VIRTIO_MMIO_QUEUE_NUM, num);
    if (set_addresses) {
        mmio_wr(&vm, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)fq.desc);
        mmio_wr(&vm, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)fq.avail);
        mmio_wr(&vm, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)fq.used);
    }
    unsigned irqs = fg_irq_edges(IRQ);
    mmio_wr(&vm, VIRTIO_MMIO_QUEUE_READY, 1);
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_QUEUE_READY), 0);
    assert_true(status() & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_int_equal(fg_irq_edges(IRQ), irqs); /* no DRIVER_OK yet: no config interrupt */
}

static void test_queue_hostile(void **state)
{
    expect_queue_refused(12, true, true);    /* not a power of two */
    expect_queue_refused(32, true, true);    /* > QueueNumMax */
    expect_queue_refused(65536, true, true); /* > 32768 (and 0 as a u16) */
    expect_queue_refused(0, true, true);
    expect_queue_refused(QSIZE, false, true); /* QueueReady with unset addresses */
    expect_queue_refused(QSIZE, true, false); /* QueueReady before FEATURES_OK */
    assert_int_equal(vm.faults, 6);

    /* a ring outside RAM, 64-bit address */
    mmio_wr(&vm, VIRTIO_MMIO_STATUS, 0);
    drv_negotiate(&vm, ~0ull);
    fq.used = 0x100000000ull;
    drv_queue(&vm, 0, &fq);
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_QUEUE_READY), 0);
    assert_true(status() & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_non_null(strstr(vm.queues[0].fault, "device area"));
}

static void test_notify_and_interrupt(void **state)
{
    drv_init(&vm, ~F(VIRTIO_F_EVENT_IDX), &fq);
    gpa_t a = give_buffer(0, 64);
    drv_notify(&vm, 0);
    assert_int_equal(tdev.requests, 1);
    assert_int_equal(fvq_used_idx(&fq), 1);
    assert_int_equal(fvq_used_elem(&fq, 0).len, 64);
    assert_int_equal(*(uint8_t *)fg_ptr(a, 1), 0xab);
    assert_int_equal(fg_irq_edges(IRQ), 1);
    assert_false(fg.level[IRQ]); /* edge: raised and lowered */
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
    mmio_wr(&vm, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_INTERRUPT_STATUS), 0);

    /* several buffers, one notify, one interrupt */
    for (uint16_t d = 1; d <= 3; d++)
        give_buffer(d, 8);
    drv_notify(&vm, 0);
    assert_int_equal(fvq_used_idx(&fq), 4);
    assert_int_equal(fg_irq_edges(IRQ), 2);

    /* VIRTQ_AVAIL_F_NO_INTERRUPT: used ring updated, no interrupt */
    fvq_set_avail_flags(&fq, VIRTQ_AVAIL_F_NO_INTERRUPT);
    give_buffer(4, 8);
    drv_notify(&vm, 0);
    assert_int_equal(fvq_used_idx(&fq), 5);
    assert_int_equal(fg_irq_edges(IRQ), 2);

    /* notifying a missing queue is ignored */
    drv_notify(&vm, 9);
    assert_int_equal(vm.bad_accesses, 1);
}

static void test_event_idx(void **state)
{
    drv_init(&vm, ~0ull, &fq);
    fvq_set_used_event(&fq, 5); /* the driver wants an interrupt after the 6th buffer */
    for (uint16_t d = 0; d < 5; d++) {
        give_buffer(d, 8);
        drv_notify(&vm, 0);
    }
    assert_int_equal(fvq_used_idx(&fq), 5);
    assert_int_equal(fg_irq_edges(IRQ), 1);    /* the first push always signals */
    assert_int_equal(fvq_avail_event(&fq), 5); /* device: notify me after avail 5 */
    give_buffer(5, 8);
    drv_notify(&vm, 0);
    assert_int_equal(fg_irq_edges(IRQ), 2);
}

static void test_buffers_before_driver_ok(void **state)
{
    drv_negotiate(&vm, ~0ull);
    drv_queue(&vm, 0, &fq);
    give_buffer(0, 8);
    drv_notify(&vm, 0); /* before DRIVER_OK: not processed */
    assert_int_equal(tdev.requests, 0);
    mmio_wr(&vm, VIRTIO_MMIO_STATUS, status() | VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(tdev.requests, 1); /* looked at on DRIVER_OK */
}

static void test_fault_and_reset(void **state)
{
    drv_init(&vm, ~0ull, &fq);
    gpa_t r = fg_alloc(1);
    *(uint8_t *)fg_ptr(r, 1) = 'F';
    fvq_desc(&fq, 0, r, 1, 0, 0);
    fvq_publish(&fq, 0);
    drv_notify(&vm, 0);
    assert_true(status() & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    assert_true(virtio_mmio_needs_reset(&vm));
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
    assert_int_equal(fg_irq_edges(IRQ), 1);
    assert_non_null(strstr(vm.queues[0].fault, "refuses head 0"));

    /* broken: later notifications do nothing */
    give_buffer(1, 8);
    drv_notify(&vm, 0);
    assert_int_equal(tdev.requests, 1);
    /* writing the status back with NEEDS_RESET included is fine (drivers OR bits in) */
    mmio_wr(&vm, VIRTIO_MMIO_STATUS, status());
    assert_int_equal(vm.bad_accesses, 0);

    /* reset: everything back to power-on, and the device works again */
    mmio_wr(&vm, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(status(), 0);
    assert_int_equal(tdev.resets, 2); /* drv_init began with one */
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    for (unsigned i = 0; i < 2; i++) {
        mmio_wr(&vm, VIRTIO_MMIO_QUEUE_SEL, i);
        assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_QUEUE_READY), 0);
        assert_int_equal(vm.queues[i].num, QSIZE);
        assert_int_equal(vm.queues[i].addr_set, 0);
    }
    assert_int_equal(vm.driver_features, 0);
    fvq_init(&fq, 0, QSIZE);
    drv_init(&vm, ~0ull, &fq);
    give_buffer(0, 8);
    drv_notify(&vm, 0);
    assert_int_equal(fvq_used_idx(&fq), 1);
}

static void test_register_widths(void **state)
{
    /* §4.2.2.2: control registers are 32-bit and aligned only */
    assert_int_equal(mmio_rd_n(&vm, VIRTIO_MMIO_MAGIC_VALUE, 1), 0);
    assert_int_equal(mmio_rd_n(&vm, VIRTIO_MMIO_MAGIC_VALUE, 2), 0);
    assert_int_equal(mmio_rd_n(&vm, VIRTIO_MMIO_MAGIC_VALUE, 8), 0);
    assert_int_equal(mmio_rd_n(&vm, VIRTIO_MMIO_MAGIC_VALUE + 2, 4), 0);
    mmio_wr_n(&vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE, 1);
    mmio_wr_n(&vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE, 2);
    mmio_wr_n(&vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE, 8);
    mmio_wr_n(&vm, VIRTIO_MMIO_STATUS + 1, VIRTIO_STATUS_ACKNOWLEDGE, 4);
    assert_int_equal(status(), 0);
    assert_int_equal(vm.bad_accesses, 8);
    /* read-only and legacy registers */
    mmio_wr(&vm, VIRTIO_MMIO_MAGIC_VALUE, 0);
    mmio_wr(&vm, VIRTIO_MMIO_QUEUE_PFN, 1);
    mmio_wr(&vm, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
    mmio_wr(&vm, VIRTIO_MMIO_QUEUE_RESET, 1);
    assert_int_equal(vm.bad_accesses, 12);
    assert_int_equal(mmio_rd(&vm, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
}

static void test_config_space(void **state)
{
    uint64_t base = VIRTIO_MMIO_CONFIG;
    assert_int_equal(mmio_rd_n(&vm, base, 1), 0x01);
    assert_int_equal(mmio_rd_n(&vm, base + 2, 2), 0x0403);
    assert_int_equal(mmio_rd_n(&vm, base + 8, 4), 0x0c0b0a09);
    assert_int_equal(mmio_rd_n(&vm, base, 8), 0x0807060504030201ull);
    assert_int_equal(vm.bad_accesses, 0);
    /* out of range, straddling the end, unaligned: zeros */
    assert_int_equal(mmio_rd_n(&vm, base + 12, 1), 0);
    assert_int_equal(mmio_rd_n(&vm, base + 8, 8), 0);
    assert_int_equal(mmio_rd_n(&vm, base + 1, 2), 0);
    assert_int_equal(mmio_rd_n(&vm, 0xfff, 1), 0);
    assert_int_equal(mmio_rd_n(&vm, base, 3), 0); /* not a field width */
    assert_int_equal(vm.bad_accesses, 5);
    /* writes: none of the config is writable, in range or not */
    mmio_wr_n(&vm, base, 0xff, 1);
    mmio_wr_n(&vm, base + 0x800, 0xff, 4);
    assert_int_equal(tdev.config[0], 0x01);
    assert_int_equal(vm.bad_accesses, 7);
}

static void test_threaded(void **state)
{
    drv_init(&vm, ~0ull, &fq);
    give_buffer(0, 32);
    drv_notify(&vm, 0); /* eventfd: the device thread drains the queue */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (fvq_used_idx(&fq) != 1) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        assert_true(now.tv_sec - t0.tv_sec < 5);
    }
    while (atomic_load(&vm.interrupts) != 1) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        assert_true(now.tv_sec - t0.tv_sec < 5);
    }
    assert_int_equal(fvq_used_elem(&fq, 0).len, 32);
    /* reset while the thread is there, then destroy (joins it) in teardown */
    mmio_wr(&vm, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(status(), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_identity),
        T(test_features),
        T(test_features_ok_refused),
        T(test_status_rules),
        T(test_queue_setup),
        T(test_queue_hostile),
        T(test_notify_and_interrupt),
        T(test_event_idx),
        T(test_buffers_before_driver_ok),
        T(test_fault_and_reset),
        T(test_register_widths),
        T(test_config_space),
        cmocka_unit_test_setup_teardown(test_threaded, setup_threaded, teardown),
    };
    return cmocka_run_group_tests_name("vmm_virtio_mmio", tests, NULL, NULL);
}
