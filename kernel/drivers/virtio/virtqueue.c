/* Split virtqueues, driver side (virtio 1.2 §2.7): descriptor free list, indirect tables, avail
 * publication, event-index notification suppression in both directions, used ring reaping.
 * Pure C over memory the caller provides (host unit tests run it on ordinary buffers). */
#include <errno.h>

#include "mote/io.h"
#include "mote/virtio.h"

size_t vq_ring_bytes(unsigned size)
{
    return ALIGN_UP(VIRTQ_DESC_SIZE(size) + VIRTQ_AVAIL_SIZE(size), VIRTQ_LEGACY_ALIGN) +
           ALIGN_UP(VIRTQ_USED_SIZE(size), VIRTQ_LEGACY_ALIGN);
}

void vq_init(struct vq *q, unsigned size, void *ring, paddr_t ring_pa, bool event_idx,
             struct virtq_desc *indirect, paddr_t indirect_pa, unsigned indirect_max,
             struct vq_slot *slots)
{
    size_t used_off = ALIGN_UP(VIRTQ_DESC_SIZE(size) + VIRTQ_AVAIL_SIZE(size), VIRTQ_LEGACY_ALIGN);
    q->size = (uint16_t)size;
    q->desc = ring;
    q->avail = (struct virtq_avail *)((char *)ring + VIRTQ_DESC_SIZE(size));
    q->used = (struct virtq_used *)((char *)ring + used_off);
    q->desc_pa = ring_pa;
    q->avail_pa = ring_pa + VIRTQ_DESC_SIZE(size);
    q->used_pa = ring_pa + used_off;
    q->used_event = &q->avail->ring[size];
    q->avail_event = (volatile uint16_t *)&q->used->ring[size];
    /* No free list to build: descriptors are taken from `fresh` until some come back. */
    q->free_head = VQ_NONE;
    q->fresh = 0;
    q->num_free = (uint16_t)size;
    q->avail_idx = q->kicked_idx = q->last_used = 0;
    q->event_idx = event_idx;
    q->indirect = indirect;
    q->indirect_pa = indirect_pa;
    q->indirect_max = indirect ? indirect_max : 0;
    q->slots = slots;
    q->broken = false;
    q->notifies = q->adds = 0;
    /* Polling until someone asks for interrupts. */
    q->cb_enabled = true;
    vq_disable_cb(q);
}

/* Fills descriptor d from b: device-readable or -writable, NEXT set (cleared on the last). */
static inline void fill(struct virtq_desc *d, const struct vq_buf *b, bool write)
{
    d->addr = b->addr;
    d->len = b->len;
    d->flags = write ? VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE : VIRTQ_DESC_F_NEXT;
}

int vq_add(struct vq *q, const struct vq_buf *bufs, unsigned out, unsigned in, void *cookie)
{
    unsigned n = out + in;
    if (unlikely(n == 0 || !cookie || q->broken))
        return -EINVAL;
    uint16_t head, tail, used;
    if (n <= q->num_free) {
        head = tail = vq_desc_alloc(q);
        for (unsigned k = 0;; k++) {
            struct virtq_desc *d = &q->desc[tail];
            fill(d, &bufs[k], k >= out);
            if (k + 1 == n) {
                d->flags &= (uint16_t)~VIRTQ_DESC_F_NEXT;
                break;
            }
            tail = d->next = vq_desc_alloc(q);
        }
        used = (uint16_t)n;
    } else if (n <= q->indirect_max && q->num_free) {
        head = tail = vq_desc_alloc(q);
        struct virtq_desc *t = &q->indirect[(size_t)head * q->indirect_max];
        for (unsigned k = 0; k < n; k++) {
            fill(&t[k], &bufs[k], k >= out);
            t[k].next = (uint16_t)(k + 1);
        }
        t[n - 1].flags &= (uint16_t)~VIRTQ_DESC_F_NEXT;
        struct virtq_desc *d = &q->desc[head];
        d->addr = q->indirect_pa + (paddr_t)head * q->indirect_max * sizeof(*t);
        d->len = n * sizeof(*t);
        d->flags = VIRTQ_DESC_F_INDIRECT;
        used = 1;
    } else {
        return n > q->size && n > q->indirect_max ? -EINVAL : -ENOSPC;
    }
    vq_publish(q, head, tail, used, cookie);
    return 0;
}

bool vq_kick_prepare(struct vq *q)
{
    uint16_t old = q->kicked_idx, new = q->avail_idx;
    if (old == new)
        return false;
    q->kicked_idx = new;
    dma_mb(); /* the published index before reading the device's suppression state */
    if (q->event_idx)
        return virtq_need_event(*q->avail_event, new, old);
    return !(*(volatile uint16_t *)&q->used->flags & VIRTQ_USED_F_NO_NOTIFY);
}

void vq_notify(struct vq *q)
{
    q->notifies++;
    q->dev->ops->notify(q->dev, q);
}

void vq_kick(struct vq *q)
{
    if (vq_kick_prepare(q))
        vq_notify(q);
}

bool vq_enable_cb(struct vq *q)
{
    q->cb_enabled = true;
    if (q->event_idx)
        *q->used_event = q->last_used;
    else
        *(volatile uint16_t *)&q->avail->flags = 0;
    dma_mb(); /* the request for interrupts before looking at the used index again */
    return *(volatile uint16_t *)&q->used->idx == q->last_used;
}

void vq_disable_cb(struct vq *q)
{
    if (!q->cb_enabled)
        return;
    q->cb_enabled = false;
    if (q->event_idx)
        *q->used_event = (uint16_t)(q->last_used - 1); /* passed only after 65535 completions */
    else
        *(volatile uint16_t *)&q->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
}
