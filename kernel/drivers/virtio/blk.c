/* virtio-blk (virtio 1.2 §5.2): one request queue; each block-layer request becomes one or more
 * device requests (header, data segments, status byte) of at most max_segments segments of at
 * most max_segment bytes (SEG_MAX, SIZE_MAX). Requests are queued while the ring is full and
 * issued as completions free it; one notification per batch at most (event index). */
#include <errno.h>

#include "core/cmdline.h"
#include "mote/blk.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/sched.h"
#include "mote/string.h"
#include "mote/virtio.h"

#define VBLK_QUEUE_SIZE 128 /* requests in flight: each takes one descriptor (indirect) */
#define VBLK_MAX_SEGS 64     /* per device request */
#define VBLK_INDIRECT 8      /* indirect table entries: header, up to 6 segments, status */
#define VBLK_DEFAULT_SEG (4u << 20)

/* A device request. The header and status live here, in direct-mapped memory; their physical
 * addresses are computed once. */
struct vblk_req {
    struct virtq_desc table[3]; /* prebuilt: header, data, status (one-segment requests) */
    struct virtio_blk_req_hdr hdr;
    struct blk_io *io;
    struct vblk_req *next_free;
    paddr_t hdr_pa, status_pa, table_pa;
    uint8_t status;
};

/* The block layer's read/write codes are virtio's request types. */
_Static_assert(BLK_OP_READ == VIRTIO_BLK_T_IN && BLK_OP_WRITE == VIRTIO_BLK_T_OUT, "op codes");

struct vblk {
    struct blk_dev blk;
    struct virtio_device *vdev;
    spinlock_t lock; /* the queue, the request pool, the waiting list; waiters */
    struct wait_queue waiters;
    struct vq *q;
    struct vblk_req *free;
    struct vblk_req *pool;      /* pool_size requests, set up on first use (cheap probe) */
    paddr_t pool_pa;            /* physically contiguous */
    unsigned pool_next, pool_size;
    struct blk_io *head, *tail; /* requests not yet fully handed to the device */
    bool irq;                   /* completions by interrupt */
    bool indirect;              /* one-segment requests through the prebuilt tables */
    struct vq_buf bufs[VBLK_MAX_SEGS + 2];
};

/* Overrides for tests (virtio_blk.size_max=, virtio_blk.seg_max=): smaller segments than the
 * device asks for, to exercise splitting on devices that have no limit. */
static uint32_t size_max_param, seg_max_param;

static void req_put(struct vblk *v, struct vblk_req *r)
{
    r->next_free = v->free;
    v->free = r;
}

/* A request the pool has not handed out yet: its addresses and fixed descriptors. */
static struct vblk_req *req_fresh(struct vblk *v)
{
    if (v->pool_next == v->pool_size)
        return NULL;
    paddr_t pa = v->pool_pa + (paddr_t)v->pool_next * sizeof(struct vblk_req);
    struct vblk_req *r = &v->pool[v->pool_next++];
    r->hdr_pa = pa + __builtin_offsetof(struct vblk_req, hdr);
    r->status_pa = pa + __builtin_offsetof(struct vblk_req, status);
    r->table_pa = pa + __builtin_offsetof(struct vblk_req, table);
    r->table[0] = (struct virtq_desc){r->hdr_pa, sizeof(r->hdr), VIRTQ_DESC_F_NEXT, 1};
    r->table[1].next = 2;
    r->table[2] = (struct virtq_desc){r->status_pa, 1, VIRTQ_DESC_F_WRITE, 0};
    req_put(v, r);
    return r;
}

/* The common request: a read or write that fits one segment, issued through the request's
 * prebuilt indirect table (only the data descriptor changes). */
static inline bool is_simple(const struct vblk *v, const struct blk_io *io, size_t left)
{
    return v->indirect && io->op <= BLK_OP_WRITE && left <= v->blk.max_segment;
}

/* Issues the rest of a simple request with r; false (nothing visible to the device) when the
 * ring is full. */
static inline bool add_simple(struct vblk *v, struct vblk_req *r, struct blk_io *io, size_t left)
{
    r->hdr.type = (uint32_t)io->op;
    r->hdr.sector = io->sector + io->issued / BLK_SECTOR_SIZE;
    r->io = io;
    r->status = 0xff;
    r->table[1].addr = virt_to_phys((char *)io->buf + io->issued);
    r->table[1].len = (uint32_t)left;
    r->table[1].flags =
        io->op == BLK_OP_READ ? VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE : VIRTQ_DESC_F_NEXT;
    return vq_add_indirect(v->q, r->table_pa, 3, r) == 0;
}

/* Hands the device as much of the queued requests as the ring takes; called with the lock
 * held. Returns true if any. */
static bool pump(struct vblk *v)
{
    bool added = false;
    struct blk_io *io;
    struct vq_buf *b = v->bufs;
    while ((io = v->head)) {
        struct vblk_req *r = v->free;
        if (!r && !(r = req_fresh(v)))
            break;
        unsigned n = 1, out = 1;
        size_t chunk;
        size_t left = io->len - io->issued;
        if (likely(is_simple(v, io, left))) {
            if (!add_simple(v, r, io, left))
                break;
            chunk = left;
            goto added;
        }
        r->hdr.sector = io->sector + io->issued / BLK_SECTOR_SIZE;
        r->io = io;
        r->status = 0xff;
        b[0].addr = r->hdr_pa;
        b[0].len = sizeof(r->hdr);
        if (likely(io->op <= BLK_OP_WRITE)) {
            r->hdr.type = (uint32_t)io->op;
            paddr_t pa = virt_to_phys((char *)io->buf + io->issued);
            uint32_t max = v->blk.max_segment;
            chunk = 0;
            while (left && n <= v->blk.max_segments) {
                uint32_t seg = left < max ? (uint32_t)left : max;
                b[n].addr = pa;
                b[n].len = seg;
                n++;
                pa += seg;
                left -= seg;
                chunk += seg;
            }
            if (io->op == BLK_OP_WRITE)
                out = n;
        } else if (io->op == BLK_OP_GET_ID) {
            r->hdr.type = VIRTIO_BLK_T_GET_ID;
            b[n].addr = virt_to_phys(io->buf);
            b[n].len = BLK_ID_BYTES;
            n++;
            chunk = BLK_ID_BYTES;
        } else {
            r->hdr.type = VIRTIO_BLK_T_FLUSH;
            chunk = 0;
        }
        b[n].addr = r->status_pa;
        b[n].len = 1;
        n++;
        if (vq_add(v->q, b, out, n - out, r))
            break; /* ring full: the rest goes when completions free it */
    added:
        v->free = r->next_free;
        added = true;
        io->pending++;
        io->issued += chunk;
        if (io->issued >= io->len) {
            v->head = io->next;
            if (!v->head)
                v->tail = NULL;
        }
    }
    return added;
}

static void vblk_submit(struct blk_dev *b, struct blk_io *io, bool kick)
{
    struct vblk *v = b->priv;
    uint64_t flags = spin_lock(&v->lock);
    struct vblk_req *r;
    bool added;
    if (likely(!v->head && is_simple(v, io, io->len) && ((r = v->free) || (r = req_fresh(v))) &&
               add_simple(v, r, io, io->len))) {
        /* Nothing waiting and room in the ring: straight in, whole (issued is 0 here). */
        v->free = r->next_free;
        io->pending = 1;
        io->issued = io->len;
        added = true;
    } else {
        if (v->tail)
            v->tail->next = io;
        else
            v->head = io;
        v->tail = io;
        added = pump(v);
    }
    kick = added && kick && vq_kick_prepare(v->q);
    spin_unlock(&v->lock, flags);
    if (kick)
        vq_notify(v->q); /* the exit, outside the lock */
}

static void vblk_kick(struct blk_dev *b)
{
    struct vblk *v = b->priv;
    uint64_t flags = spin_lock(&v->lock);
    bool kick = vq_kick_prepare(v->q);
    spin_unlock(&v->lock, flags);
    if (kick)
        vq_notify(v->q);
}

static int status_errno(uint8_t s)
{
    return s == VIRTIO_BLK_S_OK ? 0 : s == VIRTIO_BLK_S_UNSUPP ? -EOPNOTSUPP : -EIO;
}

/* Completes what the device has finished: under the lock, marks requests complete, issues
 * what was waiting for room and wakes the waiters; then, outside it, notifies the device and
 * runs the completion callbacks. */
static bool vblk_poll(struct blk_dev *b)
{
    struct vblk *v = b->priv;
    struct blk_io *done = NULL, **done_tail = &done;
    struct vblk_req *r;
    bool any = false;
    uint64_t flags = spin_lock(&v->lock);
    while ((r = vq_get(v->q, NULL))) {
        struct blk_io *io = r->io;
        int st = status_errno(r->status);
        if (st && !io->status)
            io->status = st;
        req_put(v, r);
        io->pending--;
        any = true;
        /* Whole once every part was issued and has come back. */
        if (io->pending == 0 && io->issued >= io->len && v->head != io) {
            io->complete = true;
            if (io->done) {
                io->next = NULL;
                *done_tail = io;
                done_tail = &io->next;
            }
        }
    }
    if (v->q->broken)
        panic("virtio-blk: %s: device returned a descriptor it was not given", v->vdev->name);
    bool kick = any && v->head && pump(v) && vq_kick_prepare(v->q);
    if (any)
        wake_all(&v->waiters);
    spin_unlock(&v->lock, flags);
    if (kick)
        vq_notify(v->q);
    while (done) {
        struct blk_io *io = done;
        done = io->next;
        io->done(io);
    }
    return any;
}

/* Until io completes: asleep on the wait queue when the device interrupts, else polling. */
static void vblk_wait(struct blk_dev *b, struct blk_io *io)
{
    struct vblk *v = b->priv;
    uint64_t flags = spin_lock(&v->lock);
    while (!io->complete) {
        if (v->irq) {
            wait_on(&v->waiters, &v->lock, flags, 0);
        } else {
            spin_unlock(&v->lock, flags);
            vblk_poll(b);
        }
        flags = spin_lock(&v->lock);
    }
    spin_unlock(&v->lock, flags);
}

static void vblk_callback(struct vq *q)
{
    struct vblk *v = q->priv;
    vblk_poll(&v->blk);
}

static const struct blk_ops vblk_ops = {
    .submit = vblk_submit,
    .kick = vblk_kick,
    .poll = vblk_poll,
    .wait = vblk_wait,
};

static int vblk_probe(struct virtio_device *d)
{
    struct vblk *v = kzalloc(sizeof(*v));
    if (!v)
        return -ENOMEM;
    v->vdev = d;
    v->lock = (spinlock_t)SPINLOCK_INIT;
    v->waiters = (struct wait_queue)WAIT_QUEUE_INIT;
    d->priv = v;
    v->q = virtio_setup_vq(d, 0, VBLK_QUEUE_SIZE, VBLK_INDIRECT, vblk_callback, v);
    if (!v->q)
        return -ENOMEM;

    /* Requests: one per descriptor at most. */
    unsigned nreq = v->q->size;
    size_t bytes = nreq * sizeof(struct vblk_req);
    paddr_t pool = page_alloc_contig(ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE);
    if (!pool)
        return -ENOMEM;
    v->pool = phys_to_virt(pool);
    v->pool_pa = pool;
    v->pool_size = nreq;
    v->indirect = virtio_has(d, VIRTIO_F_INDIRECT_DESC);

    struct blk_dev *b = &v->blk;
    b->sectors = virtio_cread64(d, VIRTIO_OFF(struct virtio_blk_config, capacity));
    b->block_size = virtio_has(d, VIRTIO_BLK_F_BLK_SIZE)
                        ? virtio_cread32(d, VIRTIO_OFF(struct virtio_blk_config, blk_size))
                        : BLK_SECTOR_SIZE;
    b->read_only = virtio_has(d, VIRTIO_BLK_F_RO);
    b->can_flush = virtio_has(d, VIRTIO_BLK_F_FLUSH);
    uint32_t seg = VBLK_DEFAULT_SEG, segs = 1; /* §5.2.3: without SEG_MAX, one segment */
    if (virtio_has(d, VIRTIO_BLK_F_SIZE_MAX)) {
        uint32_t m = virtio_cread32(d, VIRTIO_OFF(struct virtio_blk_config, size_max));
        if (m >= BLK_SECTOR_SIZE)
            seg = m;
    }
    if (virtio_has(d, VIRTIO_BLK_F_SEG_MAX)) {
        uint32_t m = virtio_cread32(d, VIRTIO_OFF(struct virtio_blk_config, seg_max));
        if (m)
            segs = m;
    }
    if (size_max_param)
        seg = MIN(seg, size_max_param);
    if (seg_max_param)
        segs = MIN(segs, seg_max_param);
    seg = (uint32_t)ALIGN_DOWN(seg, BLK_SECTOR_SIZE);
    segs = MIN(segs, (uint32_t)VBLK_MAX_SEGS);
    segs = MIN(segs, (uint32_t)v->q->size - 2);
    if (v->q->indirect_max && segs > v->q->indirect_max - 2)
        segs = v->q->indirect_max - 2;
    b->max_segment = seg;
    b->max_segments = segs;
    b->irq = v->irq = virtio_irq_mode(d); /* the core enables the queue's callback after probe */
    b->ops = &vblk_ops;
    b->priv = v;
    b->transport = d->name;
    return blk_register(b);
}

static void vblk_params(struct cmdline *cl)
{
    int i = 0;
    while (i < cl->nparams && !str_starts(cl->params[i], "virtio_blk."))
        i++;
    if (i == cl->nparams)
        return; /* the usual case, for a few instructions a parameter */
    uint64_t v;
    const char *s = cmdline_param(cl, "virtio_blk.size_max");
    if (s && parse_u64(s, &v) == 0 && v >= BLK_SECTOR_SIZE && v <= VBLK_DEFAULT_SEG)
        size_max_param = (uint32_t)v;
    s = cmdline_param(cl, "virtio_blk.seg_max");
    if (s && parse_u64(s, &v) == 0 && v >= 1 && v <= VBLK_MAX_SEGS)
        seg_max_param = (uint32_t)v;
    cmdline_consume(cl, "virtio_blk.size_max");
    cmdline_consume(cl, "virtio_blk.seg_max");
}

const struct virtio_driver virtio_blk_driver = {
    .name = "virtio-blk",
    .id = VIRTIO_ID_BLOCK,
    .features = 1ull << VIRTIO_BLK_F_SIZE_MAX | 1ull << VIRTIO_BLK_F_SEG_MAX |
                1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_FLUSH |
                1ull << VIRTIO_BLK_F_RO | 1ull << VIRTIO_F_VERSION_1 |
                1ull << VIRTIO_F_EVENT_IDX | 1ull << VIRTIO_F_INDIRECT_DESC,
    .probe = vblk_probe,
    .params = vblk_params,
};
