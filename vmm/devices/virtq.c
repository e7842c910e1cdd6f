/* Split virtqueue, device side; see virtq.h. Virtio 1.2 §2.7 (split virtqueues), §2.7.5.3
 * (indirect descriptors), §2.7.7 and §2.7.10 (notification suppression, event idx), §2.7.13 and
 * §2.7.14 (the device's view of avail and used rings, barriers). */
#include "vmm/devices/virtq.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int virtq_set_fault(struct virtq *q, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->fault, sizeof(q->fault), fmt, ap);
    va_end(ap);
    return err;
}

int virtq_init(struct virtq *q, uint16_t num_max)
{
    memset(q, 0, sizeof(*q));
    if (num_max == 0 || num_max > VIRTQ_MAX_SIZE || (num_max & (num_max - 1)))
        return -EINVAL;
    q->iov = calloc(num_max, sizeof(*q->iov));
    if (!q->iov)
        return -ENOMEM;
    q->num_max = num_max;
    q->max_bytes = UINT32_MAX;
    virtq_reset(q);
    return 0;
}

void virtq_free(struct virtq *q)
{
    free(q->iov);
    q->iov = NULL;
}

void virtq_reset(struct virtq *q)
{
    q->num = q->num_max;
    q->desc_gpa = q->avail_gpa = q->used_gpa = 0;
    q->addr_set = 0;
    q->ready = false;
    q->desc = NULL;
    q->avail = NULL;
    q->used = NULL;
    q->event_idx = q->indirect = false;
    q->last_avail = q->used_idx = q->signalled_used = 0;
    q->signalled_valid = false;
    q->fault[0] = '\0';
}

/* One ring part: aligned, inside RAM. */
static volatile void *ring_part(struct virtq *q, const char *what, gpa_t gpa, uint64_t len,
                                uint64_t align, int *rc)
{
    if (gpa & (align - 1)) {
        *rc = virtq_set_fault(q, -EINVAL, "%s at 0x%llx is not %llu-byte aligned", what,
                              (unsigned long long)gpa, (unsigned long long)align);
        return NULL;
    }
    void *p = guest_ptr(q->mem, gpa, len);
    if (!p)
        *rc = virtq_set_fault(q, -EFAULT, "%s [0x%llx, +0x%llx) is outside guest RAM", what,
                              (unsigned long long)gpa, (unsigned long long)len);
    return p;
}

int virtq_enable(struct virtq *q, const struct guest_mem *m, bool event_idx, bool indirect)
{
    static const char *const names[3] = { "descriptor table", "driver area", "device area" };
    uint32_t n = q->num;
    int rc = 0;

    q->ready = false;
    if (n == 0 || n > q->num_max || (n & (n - 1)))
        return virtq_set_fault(q, -EINVAL, "queue size %u is not a power of two in 1..%u", n,
                               q->num_max);
    for (int i = 0; i < 3; i++)
        if (!(q->addr_set & (1u << i)))
            return virtq_set_fault(q, -EINVAL, "ready before the %s address was written", names[i]);
    q->mem = m;
    q->desc = ring_part(q, names[0], q->desc_gpa, VIRTQ_DESC_SIZE(n), 16, &rc);
    if (rc)
        return rc;
    q->avail = ring_part(q, names[1], q->avail_gpa, VIRTQ_AVAIL_SIZE(n), 2, &rc);
    if (rc)
        return rc;
    q->used = ring_part(q, names[2], q->used_gpa, VIRTQ_USED_SIZE(n), 4, &rc);
    if (rc)
        return rc;
    q->event_idx = event_idx;
    q->indirect = indirect;
    q->last_avail = q->used_idx = q->signalled_used = 0;
    q->signalled_valid = false;
    q->ready = true;
    return 0;
}

/* The driver may change the ring under us: every descriptor is read once, into a copy. */
static struct virtq_desc read_desc(volatile const struct virtq_desc *t, uint32_t i)
{
    struct virtq_desc d;
    memcpy(&d, (const void *)&t[i], sizeof(d));
    return d;
}

static int add_buffer(struct virtq *q, struct virtq_chain *c, const struct virtq_desc *d,
                      unsigned pos)
{
    void *p = guest_ptr(q->mem, d->addr, d->len);
    if (!p)
        return virtq_set_fault(q, -EFAULT,
                               "descriptor %u: buffer [0x%llx, +0x%x) is outside guest RAM", pos,
                               (unsigned long long)d->addr, d->len);
    if (d->flags & VIRTQ_DESC_F_WRITE) {
        c->write_len += d->len;
        c->nwrite++;
        if (c->write_len > q->max_bytes)
            return virtq_set_fault(q, -E2BIG, "chain at head %u: more than %llu writable bytes",
                                   c->head, (unsigned long long)q->max_bytes);
    } else {
        if (c->nwrite)
            return virtq_set_fault(q, -EINVAL,
                                   "descriptor %u: device-readable after device-writable", pos);
        c->read_len += d->len;
        c->nread++;
        if (c->read_len > q->max_bytes)
            return virtq_set_fault(q, -E2BIG, "chain at head %u: more than %llu readable bytes",
                                   c->head, (unsigned long long)q->max_bytes);
    }
    c->iov[c->nread + c->nwrite - 1] = (struct iovec){ p, d->len };
    return 0;
}

/* An indirect descriptor d (§2.7.5.3): switch the walk to its table. */
static int enter_indirect(struct virtq *q, const struct virtq_desc *d, bool nested,
                          volatile const struct virtq_desc **table, uint32_t *size)
{
    if (!q->indirect)
        return virtq_set_fault(q, -EINVAL, "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
    if (nested)
        return virtq_set_fault(q, -EINVAL, "indirect descriptor inside an indirect table");
    if (d->flags & VIRTQ_DESC_F_NEXT)
        return virtq_set_fault(q, -EINVAL, "indirect descriptor with VIRTQ_DESC_F_NEXT");
    if (d->len == 0 || d->len % sizeof(struct virtq_desc))
        return virtq_set_fault(q, -EINVAL,
                               "indirect table length %u is not a non-zero multiple of 16", d->len);
    void *t = guest_ptr(q->mem, d->addr, d->len);
    if (!t)
        return virtq_set_fault(q, -EFAULT, "indirect table [0x%llx, +0x%x) is outside guest RAM",
                               (unsigned long long)d->addr, d->len);
    *table = t;
    *size = d->len / sizeof(struct virtq_desc);
    return 0;
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
    uint16_t num = (uint16_t)q->num;
    uint16_t avail_idx = q->avail->idx;
    uint16_t pending = (uint16_t)(avail_idx - q->last_avail);
    int rc;

    if (pending == 0)
        return 0;
    if (pending > num)
        return virtq_set_fault(q, -EOVERFLOW,
                               "avail idx %u is %u entries ahead of the device's %u "
                               "(queue size %u)",
                               avail_idx, pending, q->last_avail, num);
    /* §2.7.13: read the ring entry (and the descriptors) only after the idx that covers it. */
    atomic_thread_fence(memory_order_acquire);
    uint16_t head = q->avail->ring[q->last_avail & (num - 1)];
    if (head >= num)
        return virtq_set_fault(q, -ERANGE, "avail ring entry %u: head %u >= queue size %u",
                               q->last_avail & (num - 1), head, num);

    *c = (struct virtq_chain){ .head = head, .iov = q->iov };
    volatile const struct virtq_desc *table = q->desc;
    uint32_t size = num, i = head;
    bool indirect = false;
    for (unsigned pos = 0;; pos++) {
        struct virtq_desc d = read_desc(table, i);
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            if ((rc = enter_indirect(q, &d, indirect, &table, &size)))
                return rc;
            indirect = true;
            i = 0;
            continue;
        }
        /* §2.7.5.2 (no loops), §2.7.5.3.1 (no chain longer than the queue): a loop would be. */
        if (c->nread + c->nwrite >= num)
            return virtq_set_fault(
                q, -ELOOP, "chain at head %u: more than %u descriptors (a loop?)", head, num);
        if ((rc = add_buffer(q, c, &d, pos)))
            return rc;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            break;
        if (d.next >= size)
            return virtq_set_fault(q, -ERANGE, "descriptor %u: next %u >= %s size %u", pos, d.next,
                                   indirect ? "indirect table" : "queue", size);
        i = d.next;
    }
    q->last_avail++;
    return 1;
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
    uint16_t num = (uint16_t)q->num;
    volatile struct virtq_used_elem *e = &q->used->ring[q->used_idx & (num - 1)];
    e->id = head;
    e->len = len;
    q->used_idx++;
    /* §2.7.14: the element must be visible before the idx that publishes it. */
    atomic_thread_fence(memory_order_release);
    q->used->idx = q->used_idx;
}

/* avail_event sits after the used ring's entries, used_event after the avail ring's. */
static volatile uint16_t *avail_event(struct virtq *q)
{
    return (volatile uint16_t *)&q->used->ring[q->num];
}

static uint16_t used_event(struct virtq *q)
{
    return q->avail->ring[q->num];
}

void virtq_notify_disable(struct virtq *q)
{
    if (!q->event_idx)
        q->used->flags = VIRTQ_USED_F_NO_NOTIFY;
}

bool virtq_notify_enable(struct virtq *q)
{
    if (q->event_idx)
        *avail_event(q) = q->last_avail;
    else
        q->used->flags = 0;
    /* Store (flags or avail_event), then load avail idx: a full fence, or a driver that added
     * a buffer just before seeing our store would not notify and we would not see it. */
    atomic_thread_fence(memory_order_seq_cst);
    return q->avail->idx != q->last_avail;
}

bool virtq_need_interrupt(struct virtq *q)
{
    /* The used idx store must be visible before we read the driver's suppression fields. */
    atomic_thread_fence(memory_order_seq_cst);
    if (!q->event_idx)
        return !(q->avail->flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
    uint16_t old = q->signalled_used;
    bool valid = q->signalled_valid;
    q->signalled_used = q->used_idx;
    q->signalled_valid = true;
    return !valid || virtq_need_event(used_event(q), q->used_idx, old);
}

size_t virtq_iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len)
{
    size_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        size_t k = iov[i].iov_len - off;
        if (k > len - done)
            k = len - done;
        memcpy((uint8_t *)buf + done, (const uint8_t *)iov[i].iov_base + off, k);
        done += k;
        off = 0;
    }
    return done;
}

size_t virtq_buf_to_iov(const struct iovec *iov, unsigned n, size_t off, const void *buf,
                        size_t len)
{
    size_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        size_t k = iov[i].iov_len - off;
        if (k > len - done)
            k = len - done;
        memcpy((uint8_t *)iov[i].iov_base + off, (const uint8_t *)buf + done, k);
        done += k;
        off = 0;
    }
    return done;
}

int virtq_iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len, struct iovec *dst,
                    unsigned max)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n && len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        size_t take = iov[i].iov_len - off;
        if (take > len)
            take = len;
        if (k == max)
            return -EINVAL;
        dst[k++] = (struct iovec){ (uint8_t *)iov[i].iov_base + off, take };
        len -= take;
        off = 0;
    }
    return len ? -EINVAL : (int)k;
}
