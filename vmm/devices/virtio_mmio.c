/* virtio-mmio version 2 transport; see virtio_mmio.h. Virtio 1.2 §4.2.2 (registers),
 * §4.2.3 (driver initialisation and notifications), §2.1 (status), §2.2 (features),
 * §3.1.1 (initialisation order), §6.1 (VERSION_1). */
#include "vmm/devices/virtio_mmio.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/log.h"


#define DRIVER_OK VIRTIO_STATUS_DRIVER_OK
#define FEATURES_OK VIRTIO_STATUS_FEATURES_OK
#define NEEDS_RESET VIRTIO_STATUS_DEVICE_NEEDS_RESET
#define FEATURE(bit) (1ull << (bit))
#define FAULTS_LOGGED 10 /* per device, at warning level */

static void bad_access(struct virtio_mmio *v, const char *what, uint64_t off, unsigned size,
                       uint64_t value)
{
    /* A guest can repeat this at will: the first one is a warning, the rest debug lines. */
    unsigned long n = atomic_fetch_add(&v->bad_accesses, 1);
    log_msg(n ? LOG_DEBUG : LOG_WARN, "%s: ignored %s (offset 0x%03llx, %u bytes, value 0x%llx)",
            v->name, what, (unsigned long long)off, size, (unsigned long long)value);
}

static void raise_irq(struct virtio_mmio *v, unsigned bit)
{
    atomic_fetch_or(&v->interrupt_status, bit);
    atomic_fetch_add(&v->interrupts, 1);
    if (v->irq_fd >= 0) {
        uint64_t one = 1;
        if (write(v->irq_fd, &one, sizeof(one)) == sizeof(one))
            return;
    }
    /* Edge: the IOAPIC pin sees one rising edge per interrupt (as Firecracker's irqfd gives). */
    v->env->set_irq(v->env->ctx, v->irq, true);
    v->env->set_irq(v->env->ctx, v->irq, false);
}

/* The device stops using its queues until the driver resets it (§2.1.2). Lock held. */
static void fault(struct virtio_mmio *v, unsigned qi)
{
    v->broken = true;
    v->faults++;
    v->status |= NEEDS_RESET;
    /* A guest that resets and faults in a loop must not flood the log. */
    log_msg(v->faults <= FAULTS_LOGGED ? LOG_WARN : LOG_DEBUG, "%s: queue %u: %s; device needs "
            "reset%s", v->name, qi, v->queues[qi].fault,
            v->faults == FAULTS_LOGGED ? " (further faults at debug level)" : "");
    if (v->status & DRIVER_OK)
        raise_irq(v, VIRTIO_MMIO_INT_CONFIG);
}

bool virtio_mmio_needs_reset(struct virtio_mmio *v)
{
    pthread_mutex_lock(&v->lock);
    bool r = v->status & NEEDS_RESET;
    pthread_mutex_unlock(&v->lock);
    return r;
}

/* The default drain: one chain at a time through ops->request. Lock held. */
static int drain_chains(struct virtio_mmio *v, unsigned qi, bool *pushed)
{
    struct virtq *q = &v->queues[qi];
    struct virtq_chain c;
    int rc;

    for (;;) {
        virtq_notify_disable(q);
        while ((rc = virtq_pop(q, &c)) > 0) {
            uint32_t written = 0;
            if ((rc = v->ops->request(v, qi, &c, &written)) < 0)
                return rc;
            virtq_push(q, c.head, written);
            v->requests++;
            *pushed = true;
        }
        if (rc < 0 || !virtq_notify_enable(q))
            return rc;
    }
}

void virtio_mmio_process(struct virtio_mmio *v, unsigned qi)
{
    struct virtq *q = &v->queues[qi];
    bool pushed = false;
    int rc;

    pthread_mutex_lock(&v->lock);
    if (v->broken || !(v->status & DRIVER_OK) || !q->ready)
        goto out;
    rc = v->ops->drain ? v->ops->drain(v, qi, &pushed) : drain_chains(v, qi, &pushed);
    if (pushed && virtq_need_interrupt(q))
        raise_irq(v, VIRTIO_MMIO_INT_VRING);
    if (rc < 0)
        fault(v, qi);
out:
    pthread_mutex_unlock(&v->lock);
}

static void kick(struct virtio_mmio *v, unsigned qi)
{
    atomic_fetch_add(&v->notifies, 1);
    if (v->notify_fd[qi] >= 0) {
        uint64_t one = 1;
        (void)!write(v->notify_fd[qi], &one, sizeof(one));
        return;
    }
    virtio_mmio_process(v, qi);
}

/* ---- status and reset ---- */

static void reset(struct virtio_mmio *v)
{
    for (unsigned i = 0; i < v->nqueues; i++)
        virtq_reset(&v->queues[i]);
    v->device_features_sel = v->driver_features_sel = v->queue_sel = 0;
    v->driver_features = 0;
    v->status = 0;
    v->broken = false;
    atomic_store(&v->interrupt_status, 0);
    if (v->ops->reset)
        v->ops->reset(v);
}

/* Returns true when DRIVER_OK was just set (the caller then looks at the queues). */
static bool set_status(struct virtio_mmio *v, uint32_t val)
{
    uint32_t old = v->status & ~NEEDS_RESET;

    if (val == 0) {
        reset(v);
        return false;
    }
    val &= ~NEEDS_RESET; /* the device's bit: drivers write back what they read */
    if (val > 0xff || (old & ~val)) {
        bad_access(v, "status write that clears bits without a reset", VIRTIO_MMIO_STATUS, 4,
                   val);
        return false;
    }
    uint32_t added = val & ~old;
    if (added & FEATURES_OK) {
        uint64_t f = v->driver_features;
        if (!(f & FEATURE(VIRTIO_F_VERSION_1)) || (f & ~v->device_features)) {
            log_msg(LOG_WARN, "%s: FEATURES_OK refused: driver features 0x%llx (must include "
                    "VERSION_1 and be a subset of 0x%llx)", v->name, (unsigned long long)f,
                    (unsigned long long)v->device_features);
            added &= ~FEATURES_OK;
        }
    }
    if ((added & DRIVER_OK) && !((old | added) & FEATURES_OK)) {
        bad_access(v, "DRIVER_OK without FEATURES_OK", VIRTIO_MMIO_STATUS, 4, val);
        added &= ~DRIVER_OK;
    }
    v->status |= added;
    return added & DRIVER_OK;
}

/* ---- queues ---- */

static struct virtq *selected(struct virtio_mmio *v)
{
    return v->queue_sel < v->nqueues ? &v->queues[v->queue_sel] : NULL;
}

static void queue_ready(struct virtio_mmio *v, uint32_t val)
{
    struct virtq *q = selected(v);
    if (!q || val > 1) {
        bad_access(v, q ? "QueueReady value" : "QueueReady of a missing queue",
                   VIRTIO_MMIO_QUEUE_READY, 4, val);
        return;
    }
    if (!val) {
        q->ready = false;
        return;
    }
    if (q->ready)
        return;
    int rc;
    if (!(v->status & FEATURES_OK))
        rc = virtq_set_fault(q, -EINVAL, "QueueReady before FEATURES_OK");
    else
        rc = virtq_enable(q, v->env->mem, v->driver_features & FEATURE(VIRTIO_F_EVENT_IDX),
                          v->driver_features & FEATURE(VIRTIO_F_INDIRECT_DESC));
    if (rc)
        fault(v, v->queue_sel);
}

/* QueueNum and the six address halves: only while the queue is not ready. */
static void queue_write(struct virtio_mmio *v, uint64_t off, uint32_t val)
{
    struct virtq *q = selected(v);
    if (!q || q->ready) {
        bad_access(v, q ? "queue set-up write to a ready queue" : "write to a missing queue",
                   off, 4, val);
        return;
    }
    gpa_t *addr;
    unsigned bit;
    switch (off & ~7ull) {
    case VIRTIO_MMIO_QUEUE_NUM & ~7ull:
        q->num = val;
        return;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
        addr = &q->desc_gpa, bit = VIRTQ_ADDR_DESC;
        break;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
        addr = &q->avail_gpa, bit = VIRTQ_ADDR_DRIVER;
        break;
    default:
        addr = &q->used_gpa, bit = VIRTQ_ADDR_DEVICE;
        break;
    }
    if (off & 4)
        *addr = (*addr & 0xffffffffull) | (uint64_t)val << 32;
    else
        *addr = (*addr & ~0xffffffffull) | val;
    q->addr_set |= bit;
}

/* ---- registers ---- */

static uint32_t reg_read(struct virtio_mmio *v, uint64_t off)
{
    struct virtq *q = selected(v);
    switch (off) {
    case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
    case VIRTIO_MMIO_VERSION: return VIRTIO_MMIO_VERSION_MODERN;
    case VIRTIO_MMIO_DEVICE_ID: return v->ops->device_id;
    case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        return v->device_features_sel < 2 ?
                   (uint32_t)(v->device_features >> (32 * v->device_features_sel)) : 0;
    case VIRTIO_MMIO_QUEUE_NUM_MAX: return q ? q->num_max : 0;
    case VIRTIO_MMIO_QUEUE_READY: return q ? q->ready : 0;
    case VIRTIO_MMIO_INTERRUPT_STATUS: return atomic_load(&v->interrupt_status);
    case VIRTIO_MMIO_STATUS: return v->status;
    case VIRTIO_MMIO_CONFIG_GENERATION: return v->config_generation;
    default:
        if (off >= VIRTIO_MMIO_SHM_LEN_LOW && off <= VIRTIO_MMIO_SHM_BASE_HIGH /* no regions: -1 */)
            return 0xffffffff; /* no shared memory region */
        return 0;
    }
}

static void reg_write(struct virtio_mmio *v, uint64_t off, uint32_t val, bool *driver_ok)
{
    switch (off) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        v->device_features_sel = val;
        return;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        v->driver_features_sel = val;
        return;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        if ((v->status & FEATURES_OK) || v->driver_features_sel > 1) {
            bad_access(v, "DriverFeatures write", off, 4, val);
            return;
        }
        if (v->driver_features_sel)
            v->driver_features = (v->driver_features & 0xffffffffull) | (uint64_t)val << 32;
        else
            v->driver_features = (v->driver_features & ~0xffffffffull) | val;
        return;
    case VIRTIO_MMIO_QUEUE_SEL:
        v->queue_sel = val;
        return;
    case VIRTIO_MMIO_QUEUE_NUM:
    case VIRTIO_MMIO_QUEUE_DESC_LOW: case VIRTIO_MMIO_QUEUE_DESC_HIGH:
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW: case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW: case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        queue_write(v, off, val);
        return;
    case VIRTIO_MMIO_QUEUE_READY:
        queue_ready(v, val);
        return;
    case VIRTIO_MMIO_STATUS:
        *driver_ok = set_status(v, val);
        return;
    case VIRTIO_MMIO_SHM_SEL:
        return;
    default:
        bad_access(v, "write to a read-only or unknown register", off, 4, val);
    }
}

static void config_read(struct virtio_mmio *v, uint64_t off, uint8_t *data, unsigned size)
{
    uint64_t at = off - VIRTIO_MMIO_CONFIG;
    memset(data, 0, size);
    /* §4.2.2.2: 8, 16, 32 or 64-bit accesses, naturally aligned, inside the structure. */
    bool width_ok = size == 1 || size == 2 || size == 4 || size == 8;
    if (!width_ok || at >= v->config_len || size > v->config_len - at || (at & (size - 1))) {
        bad_access(v, "config read out of range or unaligned", off, size, 0);
        return;
    }
    memcpy(data, v->config + at, size);
}

static void mmio_read(void *dev, uint64_t off, uint8_t *data, unsigned size)
{
    struct virtio_mmio *v = dev;
    if (off >= VIRTIO_MMIO_CONFIG) {
        config_read(v, off, data, size);
        return;
    }
    /* §4.2.2.2: control registers are 32-bit wide and aligned only. */
    if (size != 4 || (off & 3)) {
        memset(data, 0, size);
        bad_access(v, "register read of the wrong width", off, size, 0);
        return;
    }
    uint32_t val;
    if (off == VIRTIO_MMIO_INTERRUPT_STATUS) {
        val = atomic_load(&v->interrupt_status);
    } else {
        pthread_mutex_lock(&v->lock);
        val = reg_read(v, off);
        pthread_mutex_unlock(&v->lock);
    }
    memcpy(data, &val, 4);
}

static void mmio_write(void *dev, uint64_t off, const uint8_t *data, unsigned size)
{
    struct virtio_mmio *v = dev;
    uint32_t val = 0;
    bool driver_ok = false;

    if (off >= VIRTIO_MMIO_CONFIG) {
        /* No device here has a writable config field (no CONFIG_WCE, no balloon). */
        bad_access(v, "config space write", off, size, 0);
        return;
    }
    if (size != 4 || (off & 3)) {
        bad_access(v, "register write of the wrong width", off, size, 0);
        return;
    }
    memcpy(&val, data, 4);
    if (off == VIRTIO_MMIO_QUEUE_NOTIFY) {
        if (val < v->nqueues)
            kick(v, val);
        else
            bad_access(v, "QueueNotify of a missing queue", off, 4, val);
        return;
    }
    if (off == VIRTIO_MMIO_INTERRUPT_ACK) {
        atomic_fetch_and(&v->interrupt_status, ~val);
        return;
    }
    pthread_mutex_lock(&v->lock);
    reg_write(v, off, val, &driver_ok);
    pthread_mutex_unlock(&v->lock);
    /* Buffers made available before DRIVER_OK are looked at now. */
    for (unsigned i = 0; driver_ok && i < v->nqueues; i++)
        kick(v, i);
}

const struct dev_ops virtio_mmio_ops = { .read = mmio_read, .write = mmio_write };

/* ---- set-up and the device thread ---- */

int virtio_mmio_init(struct virtio_mmio *v, const struct dev_env *env,
                     const struct virtio_device_ops *ops, void *dev,
                     const struct virtio_mmio_params *p)
{
    int rc;

    memset(v, 0, sizeof(*v));
    v->irq_fd = -1;
    for (unsigned i = 0; i < VIRTIO_MMIO_QUEUES_MAX; i++)
        v->notify_fd[i] = -1;
    if (!p->nqueues || p->nqueues > VIRTIO_MMIO_QUEUES_MAX)
        return -EINVAL;
    v->env = env;
    v->ops = ops;
    v->dev = dev;
    v->base = p->base;
    v->irq = p->irq;
    v->device_features = p->features | FEATURE(VIRTIO_F_VERSION_1);
    v->config = p->config;
    v->config_len = p->config_len;
    v->nqueues = p->nqueues;
    v->threaded = p->threaded;
    v->own_loop = p->threaded && p->own_loop;
    snprintf(v->name, sizeof(v->name), "%s@0x%llx", ops->name, (unsigned long long)p->base);
    pthread_mutex_init(&v->lock, NULL);
    for (unsigned i = 0; i < p->nqueues; i++) {
        if ((rc = virtq_init(&v->queues[i], p->queue_size)))
            goto fail;
        if (p->max_chain_bytes)
            v->queues[i].max_bytes = p->max_chain_bytes;
        if (p->threaded && (v->notify_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
            rc = -errno;
            goto fail;
        }
    }
    return 0;
fail:
    virtio_mmio_destroy(v);
    return rc;
}

static void *device_thread(void *arg)
{
    struct virtio_mmio *v = arg;
    struct pollfd pfd[VIRTIO_MMIO_QUEUES_MAX];

    if (v->env->thread_init)
        v->env->thread_init();
    for (unsigned i = 0; i < v->nqueues; i++)
        pfd[i] = (struct pollfd){ .fd = v->notify_fd[i], .events = POLLIN };
    while (!atomic_load(&v->stopping)) {
        if (poll(pfd, v->nqueues, -1) < 0)
            continue; /* EINTR */
        for (unsigned i = 0; i < v->nqueues; i++) {
            uint64_t n;
            if ((pfd[i].revents & POLLIN) && read(pfd[i].fd, &n, sizeof(n)) == sizeof(n) &&
                !atomic_load(&v->stopping))
                virtio_mmio_process(v, i);
        }
    }
    return NULL;
}

int virtio_mmio_start(struct virtio_mmio *v)
{
    const struct dev_env *env = v->env;

    if (!v->threaded)
        return 0;
    for (unsigned i = 0; env->ioeventfd && i < v->nqueues; i++) {
        int rc = env->ioeventfd(env->ctx, v->base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, i,
                                v->notify_fd[i]);
        if (rc)
            log_msg(LOG_DEBUG, "%s: no ioeventfd for queue %u (%s): notify by MMIO exit",
                    v->name, i, strerror(-rc));
    }
    if (env->irqfd) {
        int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        int rc = fd < 0 ? -errno : env->irqfd(env->ctx, v->irq, fd);
        if (rc) {
            log_msg(LOG_DEBUG, "%s: no irqfd (%s): interrupts by KVM_IRQ_LINE", v->name,
                    strerror(-rc));
            if (fd >= 0)
                close(fd);
        } else {
            v->irq_fd = fd;
        }
    }
    if (v->own_loop)
        return 0;
    int rc = pthread_create(&v->thread, NULL, device_thread, v);
    if (rc)
        return -rc;
    v->thread_started = true;
    return 0;
}

void virtio_mmio_destroy(struct virtio_mmio *v)
{
    if (v->thread_started) {
        uint64_t one = 1;
        atomic_store(&v->stopping, true);
        (void)!write(v->notify_fd[0], &one, sizeof(one));
        pthread_join(v->thread, NULL);
        v->thread_started = false;
    }
    for (unsigned i = 0; i < VIRTIO_MMIO_QUEUES_MAX; i++) {
        if (v->notify_fd[i] >= 0)
            close(v->notify_fd[i]);
        v->notify_fd[i] = -1;
        virtq_free(&v->queues[i]);
    }
    if (v->irq_fd >= 0)
        close(v->irq_fd);
    v->irq_fd = -1;
    if (v->ops) { /* set in init right before the lock: destroy may run twice */
        pthread_mutex_destroy(&v->lock);
        v->ops = NULL;
    }
}

void virtio_mmio_config_changed(struct virtio_mmio *v)
{
    pthread_mutex_lock(&v->lock);
    v->config_generation++;
    pthread_mutex_unlock(&v->lock);
    raise_irq(v, VIRTIO_MMIO_INT_CONFIG);
}
