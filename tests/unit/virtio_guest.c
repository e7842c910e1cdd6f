/* The fake guest of the virtio unit tests; see virtio_guest.h. */
#include "tests/unit/virtio_guest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/log.h"

struct fake_guest fg;

static void fg_set_irq(void *ctx, unsigned irq, bool level)
{
    assert_true(irq < 32);
    if (level && !fg.level[irq])
        fg.edges[irq]++;
    fg.level[irq] = level;
}

int fg_setup(void **state)
{
    memset(&fg, 0, sizeof(fg));
    fg.mem.host = calloc(1, FG_RAM_SIZE);
    fg.mem.ram_size = FG_RAM_SIZE;
    fg.heap = FG_HEAP;
    fg.env = (struct dev_env){
        .ctx = &fg, .set_irq = fg_set_irq, .in_fd = -1, .out_fd = -1, .mem = &fg.mem
    };
    log_init(getenv("VIRTIO_TEST_LOG") ? LOG_DEBUG : LOG_OFF, 2, "test");
    return fg.mem.host ? 0 : -1;
}

int fg_teardown(void **state)
{
    free(fg.mem.host);
    fg.mem.host = NULL;
    return 0;
}

void *fg_ptr(gpa_t gpa, uint64_t len)
{
    void *p = guest_ptr(&fg.mem, gpa, len);
    assert_non_null(p);
    return p;
}

gpa_t fg_alloc(uint64_t len)
{
    gpa_t a = fg.heap;
    fg.heap = (fg.heap + len + 15) & ~15ull;
    assert_true(fg.heap <= FG_RAM_SIZE);
    return a;
}

unsigned fg_irq_edges(unsigned irq)
{
    return fg.edges[irq];
}

void fvq_init(struct fake_vq *q, unsigned index, uint16_t num)
{
    *q = (struct fake_vq){ .num = num,
                           .desc = FG_DESC + index * 0x4000ull,
                           .avail = FG_AVAIL + index * 0x4000ull,
                           .used = FG_USED + index * 0x4000ull };
    memset(fg_ptr(q->desc, VIRTQ_DESC_SIZE(num)), 0, VIRTQ_DESC_SIZE(num));
    memset(fg_ptr(q->avail, VIRTQ_AVAIL_SIZE(num)), 0, VIRTQ_AVAIL_SIZE(num));
    memset(fg_ptr(q->used, VIRTQ_USED_SIZE(num)), 0, VIRTQ_USED_SIZE(num));
}

void fvq_desc(struct fake_vq *q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
              uint16_t next)
{
    struct virtq_desc d = { addr, len, flags, next };
    memcpy(fg_ptr(q->desc + 16ull * i, 16), &d, 16);
}

void fvq_publish(struct fake_vq *q, uint16_t head)
{
    struct virtq_avail *a = fg_ptr(q->avail, VIRTQ_AVAIL_SIZE(q->num));
    a->ring[q->avail_idx % q->num] = head;
    a->idx = ++q->avail_idx;
}

void fvq_set_avail_idx(struct fake_vq *q, uint16_t idx)
{
    struct virtq_avail *a = fg_ptr(q->avail, VIRTQ_AVAIL_SIZE(q->num));
    a->idx = q->avail_idx = idx;
}

uint16_t fvq_used_idx(struct fake_vq *q)
{
    struct virtq_used *u = fg_ptr(q->used, VIRTQ_USED_SIZE(q->num));
    return u->idx;
}

struct virtq_used_elem fvq_used_elem(struct fake_vq *q, uint16_t i)
{
    struct virtq_used *u = fg_ptr(q->used, VIRTQ_USED_SIZE(q->num));
    return u->ring[i % q->num];
}

void fvq_set_used_event(struct fake_vq *q, uint16_t v)
{
    struct virtq_avail *a = fg_ptr(q->avail, VIRTQ_AVAIL_SIZE(q->num));
    a->ring[q->num] = v;
}

void fvq_set_avail_flags(struct fake_vq *q, uint16_t f)
{
    struct virtq_avail *a = fg_ptr(q->avail, VIRTQ_AVAIL_SIZE(q->num));
    a->flags = f;
}

uint16_t fvq_avail_event(struct fake_vq *q)
{
    uint16_t v;
    memcpy(&v, fg_ptr(q->used + 4 + 8ull * q->num, 2), 2);
    return v;
}

uint64_t mmio_rd_n(struct virtio_mmio *v, uint64_t off, unsigned size)
{
    uint64_t val = 0;
    virtio_mmio_ops.read(v, off, (uint8_t *)&val, size);
    return val;
}

void mmio_wr_n(struct virtio_mmio *v, uint64_t off, uint64_t val, unsigned size)
{
    virtio_mmio_ops.write(v, off, (const uint8_t *)&val, size);
}

uint32_t mmio_rd(struct virtio_mmio *v, uint64_t off)
{
    return (uint32_t)mmio_rd_n(v, off, 4);
}

void mmio_wr(struct virtio_mmio *v, uint64_t off, uint32_t val)
{
    mmio_wr_n(v, off, val, 4);
}

uint64_t drv_negotiate(struct virtio_mmio *v, uint64_t accept)
{
    mmio_wr(v, VIRTIO_MMIO_STATUS, 0);
    mmio_wr(v, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    mmio_wr(v, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    mmio_wr(v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint64_t f = mmio_rd(v, VIRTIO_MMIO_DEVICE_FEATURES);
    mmio_wr(v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    f |= (uint64_t)mmio_rd(v, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    uint64_t want = f & accept;
    mmio_wr(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    mmio_wr(v, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)want);
    mmio_wr(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    mmio_wr(v, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(want >> 32));
    mmio_wr(v, VIRTIO_MMIO_STATUS, mmio_rd(v, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FEATURES_OK);
    return f;
}

void drv_queue(struct virtio_mmio *v, unsigned index, struct fake_vq *fq)
{
    mmio_wr(v, VIRTIO_MMIO_QUEUE_SEL, index);
    assert_int_equal(mmio_rd(v, VIRTIO_MMIO_QUEUE_READY), 0);
    assert_true(mmio_rd(v, VIRTIO_MMIO_QUEUE_NUM_MAX) >= fq->num);
    mmio_wr(v, VIRTIO_MMIO_QUEUE_NUM, fq->num);
    mmio_wr(v, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)fq->desc);
    mmio_wr(v, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(fq->desc >> 32));
    mmio_wr(v, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)fq->avail);
    mmio_wr(v, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(fq->avail >> 32));
    mmio_wr(v, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)fq->used);
    mmio_wr(v, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(fq->used >> 32));
    mmio_wr(v, VIRTIO_MMIO_QUEUE_READY, 1);
}

void drv_init(struct virtio_mmio *v, uint64_t accept, struct fake_vq *fq)
{
    drv_negotiate(v, accept);
    assert_true(mmio_rd(v, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
    drv_queue(v, 0, fq);
    assert_int_equal(mmio_rd(v, VIRTIO_MMIO_QUEUE_READY), 1);
    mmio_wr(v, VIRTIO_MMIO_STATUS, mmio_rd(v, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
    assert_true(mmio_rd(v, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DRIVER_OK);
}

void drv_notify(struct virtio_mmio *v, unsigned index)
{
    mmio_wr(v, VIRTIO_MMIO_QUEUE_NOTIFY, index);
}
