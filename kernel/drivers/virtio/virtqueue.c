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
             void **cookies)
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
    for (unsigned i = 0; i < size; i++)
        q->desc[i].next = (uint16_t)(i + 1);
    q->free_head = 0;
    q->num_free = (uint16_t)size;
    q->avail_idx = q->kicked_idx = q->last_used = 0;
    q->event_idx = event_idx;
    q->indirect = indirect;
    q->indirect_pa = indirect_pa;
    q->indirect_max = indirect ? indirect_max : 0;
    q->cookie = cookies;
    q->broken = false;
    q->notifies = q->adds = 0;
    /* Polling until someone asks for interrupts. */
    q->cb_enabled = true;
    vq_disable_cb(q);
}

int vq_add(struct vq *q, const struct vq_buf *bufs, unsigned out, unsigned in, void *cookie)
{
    unsigned n = out + in;
    if (n == 0 || !cookie || q->broken)
        return -EINVAL;
    bool indirect = n > 1 && n <= q->indirect_max;
    if (q->num_free < (indirect ? 1 : n))
        return n > q->size && !indirect ? -EINVAL : -ENOSPC;

    uint16_t head = q->free_head;
    struct virtq_desc *d = &q->desc[head];
    if (indirect) {
        struct virtq_desc *t = &q->indirect[(size_t)head * q->indirect_max];
        for (unsigned i = 0; i < n; i++) {
            t[i].addr = bufs[i].addr;
            t[i].len = bufs[i].len;
            t[i].flags = (uint16_t)((i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) |
                                    (i >= out ? VIRTQ_DESC_F_WRITE : 0));
            t[i].next = (uint16_t)(i + 1);
        }
        d->addr = q->indirect_pa + (paddr_t)head * q->indirect_max * sizeof(*t);
        d->len = n * sizeof(*t);
        d->flags = VIRTQ_DESC_F_INDIRECT;
        q->free_head = d->next;
        q->num_free--;
    } else {
        /* A free descriptor's next is the free list link, so the chain follows it. */
        uint16_t i = head;
        for (unsigned k = 0; k < n; k++) {
            d = &q->desc[i];
            d->addr = bufs[k].addr;
            d->len = bufs[k].len;
            d->flags = (uint16_t)((k + 1 < n ? VIRTQ_DESC_F_NEXT : 0) |
                                  (k >= out ? VIRTQ_DESC_F_WRITE : 0));
            i = d->next;
        }
        q->free_head = i;
        q->num_free = (uint16_t)(q->num_free - n);
    }
    q->cookie[head] = cookie;
    q->avail->ring[q->avail_idx & (q->size - 1)] = head;
    q->avail_idx++;
    dma_wmb(); /* descriptors and ring entry before the index (§2.7.13.3.1) */
    *(volatile uint16_t *)&q->avail->idx = q->avail_idx;
    q->adds++;
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

static void free_chain(struct vq *q, uint16_t head)
{
    uint16_t i = head, n = 1;
    while (q->desc[i].flags & VIRTQ_DESC_F_NEXT) {
        i = q->desc[i].next;
        n++;
    }
    q->desc[i].next = q->free_head;
    q->free_head = head;
    q->num_free = (uint16_t)(q->num_free + n);
}

void *vq_get(struct vq *q, uint32_t *len)
{
    if (q->last_used == *(volatile uint16_t *)&q->used->idx)
        return NULL;
    dma_rmb(); /* the index before the element it covers */
    struct virtq_used_elem e = q->used->ring[q->last_used & (q->size - 1)];
    if (e.id >= q->size || !q->cookie[e.id]) {
        q->broken = true; /* a device that returns what it was not given */
        return NULL;
    }
    void *cookie = q->cookie[e.id];
    q->cookie[e.id] = NULL;
    free_chain(q, (uint16_t)e.id);
    q->last_used++;
    if (q->event_idx && q->cb_enabled)
        *q->used_event = q->last_used;
    if (len)
        *len = e.len;
    return cookie;
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
