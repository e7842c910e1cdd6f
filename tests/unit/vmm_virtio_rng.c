/* virtio-rng (vmm/devices/virtio_rng.c) driven by a fake guest: buffers come back full of
 * random bytes with the right used length, big requests are capped, driver-readable buffers
 * are a driver error (virtio 1.2 §5.4.6.1) that leaves the device needing a reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/virtio_guest.h"
#include "vmm/devices/virtio_rng.h"

#define BASE 0xd0001000ull
#define IRQ 6
#define W VIRTQ_DESC_F_WRITE
#define NX VIRTQ_DESC_F_NEXT

static struct virtio_rng rng;
static struct fake_vq fq;

static int setup(void **state)
{
    if (fg_setup(state) || virtio_rng_init(&rng, &fg.env, BASE, IRQ, false))
        return -1;
    fvq_init(&fq, 0, 16);
    drv_init(&rng.mmio, ~0ull, &fq);
    return 0;
}

static int teardown(void **state)
{
    virtio_rng_destroy(&rng);
    return fg_teardown(state);
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static void test_identity(void **state)
{
    assert_int_equal(mmio_rd(&rng.mmio, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
    assert_int_equal(mmio_rd_n(&rng.mmio, VIRTIO_MMIO_CONFIG, 4), 0); /* no config space */
    assert_int_equal(mmio_rd(&rng.mmio, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_RNG_QUEUE_SIZE);
}

static void test_fill(void **state)
{
    gpa_t a = fg_alloc(64), b = fg_alloc(64), c = fg_alloc(100);
    fvq_desc(&fq, 0, a, 64, W, 0);
    fvq_publish(&fq, 0);
    fvq_desc(&fq, 1, b, 64, W, 0);
    fvq_publish(&fq, 1);
    drv_notify(&rng.mmio, 0);
    assert_int_equal(fvq_used_idx(&fq), 2);
    assert_int_equal(fvq_used_elem(&fq, 0).len, 64);
    assert_int_equal(fvq_used_elem(&fq, 1).id, 1);
    assert_false(all_zero(fg_ptr(a, 64), 64));
    assert_memory_not_equal(fg_ptr(a, 64), fg_ptr(b, 64), 64);
    assert_int_equal(fg_irq_edges(IRQ), 1);

    /* a chain of two writable buffers */
    fvq_desc(&fq, 2, c, 40, W | NX, 3);
    fvq_desc(&fq, 3, c + 40, 60, W, 0);
    fvq_publish(&fq, 2);
    drv_notify(&rng.mmio, 0);
    assert_int_equal(fvq_used_elem(&fq, 2).len, 100);
    assert_false(all_zero(fg_ptr(c + 80, 20), 20));
    assert_int_equal(rng.bytes, 228);
}

static void test_big_request_capped(void **state)
{
    gpa_t a = fg_alloc(VIRTIO_RNG_REQUEST_MAX + 4096);
    fvq_desc(&fq, 0, a, VIRTIO_RNG_REQUEST_MAX + 4096, W, 0);
    fvq_publish(&fq, 0);
    drv_notify(&rng.mmio, 0);
    assert_int_equal(fvq_used_elem(&fq, 0).len, VIRTIO_RNG_REQUEST_MAX);
    assert_true(all_zero(fg_ptr(a + VIRTIO_RNG_REQUEST_MAX, 4096), 4096));
}

static void test_readable_buffer_is_a_fault(void **state)
{
    gpa_t a = fg_alloc(16);
    fvq_desc(&fq, 0, a, 16, 0, 0);
    fvq_publish(&fq, 0);
    drv_notify(&rng.mmio, 0);
    assert_true(virtio_mmio_needs_reset(&rng.mmio));
    assert_int_equal(fvq_used_idx(&fq), 0);
    assert_true(all_zero(fg_ptr(a, 16), 16));
    assert_int_equal(mmio_rd(&rng.mmio, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);

    /* reset and the device serves again */
    fvq_init(&fq, 0, 16);
    drv_init(&rng.mmio, ~0ull, &fq);
    fvq_desc(&fq, 0, a, 16, W, 0);
    fvq_publish(&fq, 0);
    drv_notify(&rng.mmio, 0);
    assert_int_equal(fvq_used_elem(&fq, 0).len, 16);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_identity),
        T(test_fill),
        T(test_big_request_capped),
        T(test_readable_buffer_is_a_fault),
    };
    return cmocka_run_group_tests_name("vmm_virtio_rng", tests, NULL, NULL);
}
