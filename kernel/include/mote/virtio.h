/* The virtio driver core: one device model over three transports (virtio-mmio versions 1 and 2,
 * legacy PCI, modern PCI), split virtqueues, and the device drivers' table. Drivers (blk, rng)
 * see a struct virtio_device and its ops; they never know which transport carries them.
 * Spec: virtio 1.2 §2 (basic facilities), §3.1 (initialization), §4 (transports). */
#ifndef MOTE_VIRTIO_H
#define MOTE_VIRTIO_H

#include <errno.h>

#include "abi/virtio.h"
#include "mote/io.h"
#include "mote/types.h"

struct virtio_device;
struct vq;

/* A transport: the only code that touches registers. Config offsets are relative to the device
 * configuration space; config_read/write take len 1, 2 or 4 (aligned, as §4.2.2.2 asks). */
struct virtio_transport_ops {
    uint64_t (*get_features)(struct virtio_device *d); /* legacy: the low 32 bits only */
    void (*set_features)(struct virtio_device *d, uint64_t features);
    uint8_t (*get_status)(struct virtio_device *d);
    void (*set_status)(struct virtio_device *d, uint8_t status);
    void (*reset)(struct virtio_device *d); /* status 0, then waits until the device reads 0 */
    uint32_t (*config_generation)(struct virtio_device *d); /* 0 where the transport has none */
    uint32_t (*config_read)(struct virtio_device *d, unsigned off, unsigned len);
    void (*config_write)(struct virtio_device *d, unsigned off, uint32_t v, unsigned len);
    /* Largest size of queue index, 0 when the queue does not exist. */
    unsigned (*queue_max)(struct virtio_device *d, unsigned index);
    /* Hands the device queue q (size, ring addresses set), enabled. */
    int (*queue_setup)(struct virtio_device *d, struct vq *q);
    void (*notify)(struct virtio_device *d, struct vq *q);
    /* Acknowledges the interrupt and returns its causes: VIRTIO_PCI_ISR_QUEUE |
     * VIRTIO_PCI_ISR_CONFIG (the MMIO InterruptStatus bits are the same). PCI reads the ISR
     * (which clears it; a shared INTx line may not be ours); MMIO acknowledges without reading
     * and reports a queue event (its line is the device's own). */
    uint32_t (*isr)(struct virtio_device *d);
};

/* Transport properties the core needs. */
#define VIRTIO_TRANSPORT_LEGACY 1     /* virtio 0.9.5 interface: no VERSION_1, no FEATURES_OK */
#define VIRTIO_TRANSPORT_FIXED_QSIZE 2 /* queue size is the device's (legacy PCI) */

#define VIRTIO_MAX_QUEUES 4

struct virtio_device {
    const struct virtio_transport_ops *ops;
    void *regs;          /* transport registers: mapped MMIO base, or an I/O port base */
    void *transport;     /* transport private data (PCI modern: its capability windows) */
    unsigned flags;      /* VIRTIO_TRANSPORT_* */
    uint32_t id;         /* device type, VIRTIO_ID_* */
    uint64_t features;   /* negotiated */
    unsigned gsi;        /* interrupt line */
    bool irq_level, irq_active_low, irq_registered;
    char name[32];       /* "virtio-mmio@0xfeb00000", "pci 0000:00:04.0" */
    const struct virtio_driver *driver;
    void *priv;          /* the driver's */
    struct vq *vqs[VIRTIO_MAX_QUEUES];
    unsigned nvqs;
};

static inline bool virtio_has(const struct virtio_device *d, unsigned bit)
{
    return (d->features >> bit) & 1;
}

struct cmdline;

/* A device driver: its type, the features it can use (device and transport bits together: the
 * core adds nothing), and probe, called with the features negotiated (FEATURES_OK accepted).
 * The core sets DRIVER_OK after probe returns 0. params (optional) reads and consumes the
 * driver's command-line parameters before any probe. */
struct virtio_driver {
    const char *name;
    uint32_t id;
    uint64_t features;
    int (*probe)(struct virtio_device *d);
    void (*params)(struct cmdline *cl);
};

/* The driver table (drivers/drivers.c). */
extern const struct virtio_driver *const virtio_drivers[];

/* Transports hand a device they found to the core (virtio.c), which keeps it for
 * virtio_probe_all. Returns 0, or -ENOMEM when the device table is full. */
int virtio_add_device(struct virtio_device *d);
/* Runs the matching driver on every device added, in discovery order (§3.1.1). */
void virtio_probe_all(void);
unsigned virtio_device_count(void);

/* Config space reads, consistent across a generation change (§2.5.1 / §4.2.2). */
uint8_t virtio_cread8(struct virtio_device *d, unsigned off);
uint16_t virtio_cread16(struct virtio_device *d, unsigned off);
uint32_t virtio_cread32(struct virtio_device *d, unsigned off);
uint64_t virtio_cread64(struct virtio_device *d, unsigned off);

/* Interrupts: the handler reads the ISR and runs every queue's callback. */
void virtio_interrupt(void *device);
/* Set from the command line (virtio.poll): no interrupt handlers, completions polled. */
extern bool virtio_force_poll;
/* True when completions come by interrupt (registered and delivered), false while polling. */
bool virtio_irq_mode(struct virtio_device *d);

/* ---- Split virtqueues (§2.7) ---- */

typedef void (*vq_callback_fn)(struct vq *q);

#define VQ_NONE 0xffff

/* A buffer handed to the device: a physical address and a length. */
struct vq_buf {
    paddr_t addr;
    uint32_t len;
};

/* Per chain head: what vq_add was given, and the chain, to free it in one step. */
struct vq_slot {
    void *cookie;
    uint16_t tail, n; /* last descriptor of the chain; descriptors it took from the ring */
    uint32_t unused;
};

struct vq {
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    volatile uint16_t *used_event;  /* avail->ring[size] (EVENT_IDX) */
    volatile uint16_t *avail_event; /* used->ring[size] (EVENT_IDX) */
    paddr_t desc_pa, avail_pa, used_pa;
    uint16_t size, index;
    uint16_t free_head, num_free;   /* returned descriptors (VQ_NONE ends the list); all free */
    uint16_t fresh;                 /* descriptors from here on were never used: no list to build */
    uint16_t avail_idx;  /* the next avail slot (published as avail->idx) */
    uint16_t kicked_idx; /* avail->idx when the device was last considered for a notification */
    uint16_t last_used;  /* the next used slot to read */
    bool event_idx, cb_enabled, broken;
    unsigned indirect_max;          /* entries per indirect table, 0: no indirect descriptors */
    struct virtq_desc *indirect;    /* size tables of indirect_max entries, one per head */
    paddr_t indirect_pa;
    struct vq_slot *slots;          /* size entries */
    struct virtio_device *dev;
    vq_callback_fn callback;
    void *priv;
    uint64_t notifies, adds;        /* statistics */
};

/* Bytes of the legacy contiguous layout (§2.7.2 "Legacy Interfaces"): descriptors, avail ring,
 * padding to 4096, used ring. Every transport gets this layout; modern ones could split it. */
size_t vq_ring_bytes(unsigned size);
/* Lays q out over ring (zeroed, ring_bytes(size) long, at physical ring_pa); builds the free list.
 * indirect (may be NULL) holds size * indirect_max descriptors at indirect_pa; slots has size
 * zeroed entries. Pure: host unit tests call it on ordinary memory. */
void vq_init(struct vq *q, unsigned size, void *ring, paddr_t ring_pa, bool event_idx,
             struct virtq_desc *indirect, paddr_t indirect_pa, unsigned indirect_max,
             struct vq_slot *slots);

/* Queues one request: out device-readable buffers, then in device-writable ones: a chain in the
 * ring while it has room (the fewest instructions), else one indirect descriptor when the queue
 * has them (more requests in flight). The request is visible to the device at once; call vq_kick
 * to make sure it looks. Returns 0, -ENOSPC (ring full) or -EINVAL. */
int vq_add(struct vq *q, const struct vq_buf *bufs, unsigned out, unsigned in, void *cookie);
/* Whether the device must be notified of what was added since the last call (event index or
 * the NO_NOTIFY flag, §2.7.10/§2.7.7). */
bool vq_kick_prepare(struct vq *q);
/* The transport's notify: one exit. */
void vq_notify(struct vq *q);
/* vq_kick_prepare, then vq_notify when needed: at most one exit per batch. */
void vq_kick(struct vq *q);
/* Asks for an interrupt at the next completion; returns false when completions arrived
 * meanwhile (drain again before waiting). */
bool vq_enable_cb(struct vq *q);
/* Asks the device not to interrupt (polling). */
void vq_disable_cb(struct vq *q);
/* Descriptors free / requests outstanding. */
static inline unsigned vq_free(const struct vq *q)
{
    return q->num_free;
}

/* The per-request paths, inline: a call and its frame are ~15 more instructions, each one
 * emulated under PVM. */

/* One free descriptor (the caller checked num_free): a returned one, else a never-used one. */
static inline uint16_t vq_desc_alloc(struct vq *q)
{
    uint16_t i = q->free_head;
    if (i != VQ_NONE) {
        q->free_head = q->desc[i].next;
        return i;
    }
    return q->fresh++;
}

/* Makes head the next avail entry, with its cookie and chain (used slots from tail back). */
static inline void vq_publish(struct vq *q, uint16_t head, uint16_t tail, uint16_t used,
                              void *cookie)
{
    q->num_free = (uint16_t)(q->num_free - used);
    struct vq_slot *s = &q->slots[head];
    s->cookie = cookie;
    s->tail = tail;
    s->n = used;
    q->avail->ring[q->avail_idx & (q->size - 1)] = head;
    q->avail_idx++;
    dma_wmb(); /* descriptors and ring entry before the index (§2.7.13.3.1) */
    *(volatile uint16_t *)&q->avail->idx = q->avail_idx;
    q->adds++;
}

/* Queues one request whose descriptors the caller laid out in an indirect table of n entries at
 * physical table_pa (§2.7.5.3): one ring descriptor. Drivers keep prebuilt tables and rewrite
 * only what changes per request. Needs VIRTIO_F_INDIRECT_DESC. Returns 0, -ENOSPC or -EINVAL
 * (a broken queue). */
static inline int vq_add_indirect(struct vq *q, paddr_t table_pa, unsigned n, void *cookie)
{
    if (unlikely(!q->num_free || q->broken))
        return q->broken ? -EINVAL : -ENOSPC;
    uint16_t head = vq_desc_alloc(q);
    struct virtq_desc *d = &q->desc[head];
    d->addr = table_pa;
    d->len = n * sizeof(*d);
    d->flags = VIRTQ_DESC_F_INDIRECT;
    vq_publish(q, head, head, 1, cookie);
    return 0;
}

/* The next completed request's cookie (and bytes written into it), or NULL. A device that
 * returns an id it was not given marks the queue broken (and NULL). */
static inline void *vq_get(struct vq *q, uint32_t *len)
{
    uint16_t last = q->last_used;
    if (last == *(volatile uint16_t *)&q->used->idx)
        return NULL;
    dma_rmb(); /* the index before the element it covers */
    const struct virtq_used_elem *e = &q->used->ring[last & (q->size - 1)];
    uint32_t id = e->id;
    struct vq_slot *s = &q->slots[id < q->size ? id : 0];
    void *cookie = s->cookie;
    if (unlikely(id >= q->size || !cookie)) {
        q->broken = true;
        return NULL;
    }
    s->cookie = NULL;
    q->desc[s->tail].next = q->free_head; /* the whole chain back on the free list */
    q->free_head = (uint16_t)id;
    q->num_free = (uint16_t)(q->num_free + s->n);
    q->last_used = (uint16_t)(last + 1);
    if (q->event_idx && q->cb_enabled)
        *q->used_event = q->last_used;
    if (len)
        *len = e->len;
    return cookie;
}

/* Allocates and hands the device queue index (virtio.c): size is capped at max_size and the
 * device's maximum (legacy PCI: the device's size); indirect_max > 0 asks for indirect tables
 * when VIRTIO_F_INDIRECT_DESC was negotiated. Returns the queue or NULL. */
struct vq *virtio_setup_vq(struct virtio_device *d, unsigned index, unsigned max_size,
                           unsigned indirect_max, vq_callback_fn callback, void *priv);

#endif
