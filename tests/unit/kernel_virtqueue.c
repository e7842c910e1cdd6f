/* Split virtqueue, driver side (kernel/drivers/virtio/virtqueue.c), against a device simulated
 * here on ordinary memory: host addresses stand in for physical ones. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mote/virtio.h"

struct fake {
    struct vq q;
    struct virtio_device dev;
    void *ring;
    struct virtq_desc *ind;
    struct vq_slot slots[256];
    uint16_t dev_avail; /* the device's next avail slot */
    uint16_t dev_used;  /* the device's used index */
    unsigned notifies;
};

static struct fake *current_fake;

static void fake_notify(struct virtio_device *d, struct vq *q)
{
    current_fake->notifies++;
}

static const struct virtio_transport_ops fake_ops = {.notify = fake_notify};

static struct fake *setup(unsigned size, bool event_idx, unsigned indirect_max)
{
    struct fake *f = calloc(1, sizeof(*f));
    size_t bytes = vq_ring_bytes(size);
    f->ring = aligned_alloc(4096, bytes);
    memset(f->ring, 0, bytes);
    if (indirect_max)
        f->ind = calloc(size * indirect_max, sizeof(struct virtq_desc));
    vq_init(&f->q, size, f->ring, (uintptr_t)f->ring, event_idx, f->ind, (uintptr_t)f->ind,
            indirect_max, f->slots);
    f->dev.ops = &fake_ops;
    f->q.dev = &f->dev;
    current_fake = f;
    return f;
}

static void teardown(struct fake *f)
{
    free(f->ring);
    free(f->ind);
    free(f);
}

/* Starts every index at start, to cross the 16-bit wrap early. */
static void start_at(struct fake *f, uint16_t start)
{
    f->q.avail_idx = f->q.kicked_idx = f->q.last_used = start;
    f->q.avail->idx = start;
    f->q.used->idx = start;
    f->dev_avail = f->dev_used = start;
}

/* Device: the next available head, or -1. */
static int dev_pop(struct fake *f)
{
    if (f->dev_avail == f->q.avail->idx)
        return -1;
    return f->q.avail->ring[f->dev_avail++ % f->q.size];
}

/* Device: the chain at head as (addr, len, flags) triples; returns its length. */
static unsigned dev_walk(struct fake *f, int head, struct virtq_desc *out, unsigned max)
{
    struct virtq_desc *table = f->q.desc;
    unsigned i = (unsigned)head, n = 0;
    if (table[i].flags & VIRTQ_DESC_F_INDIRECT) {
        assert_int_equal(table[i].len % sizeof(struct virtq_desc), 0);
        table = (struct virtq_desc *)(uintptr_t)table[i].addr;
        i = 0;
    }
    for (;;) {
        assert_true(n < max);
        out[n++] = table[i];
        if (!(table[i].flags & VIRTQ_DESC_F_NEXT))
            return n;
        i = table[i].next;
    }
}

/* Device: completes head; returns whether it would interrupt (§2.7.10 / flags). */
static bool dev_complete(struct fake *f, int head, uint32_t len)
{
    uint16_t old = f->dev_used;
    f->q.used->ring[f->dev_used % f->q.size] = (struct virtq_used_elem){(uint32_t)head, len};
    f->dev_used++;
    f->q.used->idx = f->dev_used;
    if (f->q.event_idx)
        return virtq_need_event(*f->q.used_event, f->dev_used, old);
    return !(f->q.avail->flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/* When nothing is in flight every descriptor is free exactly once: on the returned list, or
 * never used (from fresh on). */
static void check_free_list(struct fake *f)
{
    assert_int_equal(f->q.num_free, f->q.size);
    uint8_t seen[256] = {0};
    unsigned listed = 0;
    for (uint16_t i = f->q.free_head; i != VQ_NONE; i = f->q.desc[i].next) {
        assert_true(i < f->q.fresh);
        assert_false(seen[i]);
        seen[i] = 1;
        listed++;
        assert_true(listed <= f->q.size);
    }
    assert_int_equal(listed + (f->q.size - f->q.fresh), f->q.size);
}

static void test_layout(void **state)
{
    struct fake *f = setup(256, true, 0);
    assert_int_equal(vq_ring_bytes(256), 8192 + 4096);
    assert_ptr_equal((char *)f->q.avail, (char *)f->ring + 4096);
    assert_ptr_equal((char *)f->q.used, (char *)f->ring + 8192);
    assert_ptr_equal(f->q.used_event, &f->q.avail->ring[256]);
    assert_ptr_equal((char *)f->q.avail_event, (char *)f->q.used + 4 + 8 * 256);
    assert_int_equal(f->q.used_pa - f->q.desc_pa, 8192);
    check_free_list(f);
    teardown(f);
}

/* Rounds of three 2-buffer requests, completed in reverse order, across the index wrap. */
static void test_add_get_wraparound(void **state)
{
    struct fake *f = setup(8, false, 0);
    start_at(f, 65530);
    static int tokens[3];
    for (int round = 0; round < 50; round++) {
        int heads[3];
        for (int r = 0; r < 3; r++) {
            struct vq_buf b[2] = {{0x1000 * (r + 1), 16}, {0x2000 * (r + 1), 512}};
            assert_int_equal(vq_add(&f->q, b, 1, 1, &tokens[r]), 0);
        }
        assert_int_equal(vq_free(&f->q), 2);
        for (int r = 0; r < 3; r++) {
            heads[r] = dev_pop(f);
            assert_true(heads[r] >= 0);
            struct virtq_desc c[4];
            assert_int_equal(dev_walk(f, heads[r], c, 4), 2);
            assert_int_equal(c[0].addr, 0x1000 * (r + 1));
            assert_int_equal(c[0].flags, VIRTQ_DESC_F_NEXT);
            assert_int_equal(c[1].len, 512);
            assert_int_equal(c[1].flags, VIRTQ_DESC_F_WRITE);
        }
        assert_int_equal(dev_pop(f), -1);
        for (int r = 2; r >= 0; r--)
            dev_complete(f, heads[r], 100 + r);
        for (int r = 2; r >= 0; r--) {
            uint32_t len = 0;
            assert_ptr_equal(vq_get(&f->q, &len), &tokens[r]);
            assert_int_equal(len, 100 + r);
        }
        assert_null(vq_get(&f->q, NULL));
        check_free_list(f);
    }
    assert_true(f->q.avail_idx < 1000); /* wrapped */
    teardown(f);
}

static void test_ring_full(void **state)
{
    struct fake *f = setup(4, false, 0);
    int token;
    struct vq_buf b[5] = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}};
    assert_int_equal(vq_add(&f->q, b, 1, 4, &token), -EINVAL); /* longer than the ring */
    assert_int_equal(vq_add(&f->q, b, 0, 0, &token), -EINVAL);
    assert_int_equal(vq_add(&f->q, b, 1, 0, NULL), -EINVAL);
    assert_int_equal(vq_add(&f->q, b, 1, 2, &token), 0);
    assert_int_equal(vq_add(&f->q, b, 1, 1, &token), -ENOSPC);
    assert_int_equal(vq_add(&f->q, b, 1, 0, &token), 0);
    assert_int_equal(vq_add(&f->q, b, 1, 0, &token), -ENOSPC);
    teardown(f);
}

/* Chains in the ring while they fit; an indirect table once the ring is short. */
static void test_indirect(void **state)
{
    struct fake *f = setup(4, false, 8);
    static int t1, t2;
    struct vq_buf b[4] = {{0x10, 16}, {0x20, 4096}, {0x30, 4096}, {0x40, 1}};
    assert_int_equal(vq_add(&f->q, b, 1, 2, &t1), 0); /* a chain of three in the ring */
    assert_int_equal(vq_free(&f->q), 1);
    int h1 = dev_pop(f);
    struct virtq_desc c[8];
    assert_int_equal(dev_walk(f, h1, c, 8), 3);
    assert_int_equal(c[0].flags, VIRTQ_DESC_F_NEXT);
    assert_int_equal(c[1].flags, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
    assert_int_equal(c[2].flags, VIRTQ_DESC_F_WRITE);
    assert_int_equal(vq_add(&f->q, b, 2, 2, &t2), 0); /* four buffers, one descriptor left */
    assert_int_equal(vq_free(&f->q), 0);
    int h2 = dev_pop(f);
    assert_int_equal(f->q.desc[h2].flags, VIRTQ_DESC_F_INDIRECT);
    assert_int_equal(f->q.desc[h2].len, 4 * sizeof(struct virtq_desc));
    assert_int_equal(dev_walk(f, h2, c, 8), 4);
    assert_int_equal(c[0].flags, VIRTQ_DESC_F_NEXT);
    assert_int_equal(c[1].flags, VIRTQ_DESC_F_NEXT);
    assert_int_equal(c[2].flags, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
    assert_int_equal(c[3].flags, VIRTQ_DESC_F_WRITE);
    assert_int_equal(c[2].addr, 0x30);
    assert_int_equal(vq_add(&f->q, b, 1, 1, &t1), -ENOSPC);
    struct vq_buf many[9] = {{0}};
    dev_complete(f, h2, 1);
    assert_ptr_equal(vq_get(&f->q, NULL), &t2);
    assert_int_equal(vq_add(&f->q, many, 1, 8, &t1), -EINVAL); /* fits neither way */
    dev_complete(f, h1, 1);
    assert_ptr_equal(vq_get(&f->q, NULL), &t1);
    check_free_list(f);
    teardown(f);
}

/* Driver to device: notify only when the device's avail_event says it waits (§2.7.10). */
static void test_event_idx_kick(void **state)
{
    struct fake *f = setup(8, true, 0);
    start_at(f, 65534);
    int t;
    struct vq_buf b = {1, 1};
    *f->q.avail_event = 65534; /* the device waits for the next request */
    assert_false(vq_kick_prepare(&f->q)); /* nothing new */
    vq_add(&f->q, &b, 1, 0, &t);
    vq_kick(&f->q);
    assert_int_equal(f->notifies, 1);
    /* The device has not caught up (avail_event unchanged): no second exit for the batch. */
    vq_add(&f->q, &b, 1, 0, &t);
    vq_add(&f->q, &b, 1, 0, &t);
    vq_kick(&f->q);
    assert_int_equal(f->notifies, 1);
    /* The device consumed everything and now waits at the current index (past the wrap). */
    while (dev_pop(f) >= 0)
        ;
    *f->q.avail_event = f->dev_avail;
    assert_int_equal(f->dev_avail, 1);
    vq_add(&f->q, &b, 1, 0, &t);
    vq_kick(&f->q);
    assert_int_equal(f->notifies, 2);
    /* Without EVENT_IDX the NO_NOTIFY flag rules. */
    struct fake *g = setup(8, false, 0);
    g->q.used->flags = VIRTQ_USED_F_NO_NOTIFY;
    vq_add(&g->q, &b, 1, 0, &t);
    assert_false(vq_kick_prepare(&g->q));
    g->q.used->flags = 0;
    vq_add(&g->q, &b, 1, 0, &t);
    assert_true(vq_kick_prepare(&g->q));
    teardown(g);
    teardown(f);
}

/* Device to driver: interrupts only when asked (used_event), none while polling. */
static void test_event_idx_interrupts(void **state)
{
    struct fake *f = setup(8, true, 0);
    start_at(f, 65533);
    static int t[4];
    struct vq_buf b = {1, 1};
    for (int i = 0; i < 4; i++)
        vq_add(&f->q, &b, 1, 0, &t[i]);
    /* Polling (the state after init): no completion interrupts. */
    assert_false(f->q.cb_enabled);
    assert_false(dev_complete(f, dev_pop(f), 0));
    assert_false(dev_complete(f, dev_pop(f), 0));
    /* Asking for interrupts with completions pending says so (drain first). */
    assert_false(vq_enable_cb(&f->q));
    assert_ptr_equal(vq_get(&f->q, NULL), &t[0]);
    assert_ptr_equal(vq_get(&f->q, NULL), &t[1]);
    assert_true(vq_enable_cb(&f->q));
    /* The next completion interrupts; the one after it, before the driver reaped, does not. */
    assert_true(dev_complete(f, dev_pop(f), 0));
    assert_false(dev_complete(f, dev_pop(f), 0));
    assert_ptr_equal(vq_get(&f->q, NULL), &t[2]);
    assert_ptr_equal(vq_get(&f->q, NULL), &t[3]);
    /* Reaping moved used_event on: the next completion interrupts again. */
    vq_add(&f->q, &b, 1, 0, &t[0]);
    assert_true(dev_complete(f, dev_pop(f), 0));
    vq_get(&f->q, NULL);
    vq_disable_cb(&f->q);
    vq_add(&f->q, &b, 1, 0, &t[0]);
    assert_false(dev_complete(f, dev_pop(f), 0));
    teardown(f);
    /* Without EVENT_IDX: the NO_INTERRUPT flag. */
    f = setup(8, false, 0);
    vq_add(&f->q, &b, 1, 0, &t[0]);
    assert_false(dev_complete(f, dev_pop(f), 0));
    vq_get(&f->q, NULL);
    assert_true(vq_enable_cb(&f->q));
    vq_add(&f->q, &b, 1, 0, &t[0]);
    assert_true(dev_complete(f, dev_pop(f), 0));
    teardown(f);
}

static void test_device_returns_garbage(void **state)
{
    struct fake *f = setup(8, false, 0);
    int t;
    struct vq_buf b = {1, 1};
    vq_add(&f->q, &b, 1, 0, &t);
    dev_complete(f, 200, 0); /* out of range */
    assert_null(vq_get(&f->q, NULL));
    assert_true(f->q.broken);
    assert_int_equal(vq_add(&f->q, &b, 1, 0, &t), -EINVAL);
    teardown(f);
    f = setup(8, false, 0);
    vq_add(&f->q, &b, 1, 0, &t);
    dev_complete(f, 5, 0); /* in range, never handed out */
    assert_null(vq_get(&f->q, NULL));
    assert_true(f->q.broken);
    teardown(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_add_get_wraparound),
        cmocka_unit_test(test_ring_full),
        cmocka_unit_test(test_indirect),
        cmocka_unit_test(test_event_idx_kick),
        cmocka_unit_test(test_event_idx_interrupts),
        cmocka_unit_test(test_device_returns_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
