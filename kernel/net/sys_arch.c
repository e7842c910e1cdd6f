/* lwIP's operating-system layer on Mote (lwIP's doc/sys_arch.txt, lwip/sys.h): time, threads,
 * mutexes, semaphores and bounded mailboxes with timeouts on the scheduler's wait queues, the
 * lightweight protection, and the platform hooks of arch/cc.h (diagnostics, asserts, random
 * numbers, memory). */
#include <errno.h>
#include <stdarg.h>

#include "lwip/err.h"
#include "lwip/sys.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/random.h"
#include "mote/string.h"
#include "mote/x86.h"

/* ---- time ---- */

u32_t sys_now(void)
{
    return (u32_t)(tsc_to_ns(rdtsc()) / 1000000);
}

/* The TSC deadline for a timeout in milliseconds from start; 0 (none) for 0. */
static uint64_t deadline_ms(uint64_t start, u32_t ms)
{
    return ms ? start + ns_to_tsc((uint64_t)ms * 1000000) : 0;
}

/* What the sys_arch_*_wait functions return: milliseconds waited (lwIP only compares it with
 * SYS_ARCH_TIMEOUT); 0 when nothing was waited for, without the conversions (the common case
 * on the packet path: a message already in the tcpip thread's mailbox). */
static u32_t waited_ms(uint64_t start)
{
    if (!start)
        return 0;
    u32_t ms = (u32_t)(tsc_to_ns(rdtsc() - start) / 1000000);
    return ms == SYS_ARCH_TIMEOUT ? ms - 1 : ms;
}

void sys_init(void)
{
}

/* ---- lightweight protection: interrupts off and one lock, nestable on a CPU ---- */

static spinlock_t prot_lock = SPINLOCK_INIT;
static struct thread *prot_owner;
static unsigned prot_depth;

sys_prot_t sys_arch_protect(void)
{
    uint64_t flags = irq_save();
    struct thread *self = current();
    if (prot_owner != self) {
        spin_lock_raw(&prot_lock);
        prot_owner = self;
    }
    prot_depth++;
    return flags;
}

void sys_arch_unprotect(sys_prot_t flags)
{
    if (--prot_depth == 0) {
        prot_owner = NULL;
        spin_unlock_raw(&prot_lock);
    }
    irq_restore(flags);
}

/* ---- semaphores ---- */

err_t sys_sem_new(sys_sem_t *s, u8_t count)
{
    s->lock = (spinlock_t)SPINLOCK_INIT;
    s->count = count;
    s->waiters = (struct wait_queue)WAIT_QUEUE_INIT;
    s->valid = true;
    return ERR_OK;
}

void sys_sem_free(sys_sem_t *s)
{
    s->valid = false;
}

void sys_sem_signal(sys_sem_t *s)
{
    uint64_t flags = spin_lock(&s->lock);
    s->count++;
    wake_one(&s->waiters);
    spin_unlock(&s->lock, flags);
}

u32_t sys_arch_sem_wait(sys_sem_t *s, u32_t timeout)
{
    uint64_t start = 0, deadline = 0;
    for (;;) {
        uint64_t flags = spin_lock(&s->lock);
        if (s->count > 0) {
            s->count--;
            spin_unlock(&s->lock, flags);
            return waited_ms(start);
        }
        if (!start) {
            start = rdtsc();
            deadline = deadline_ms(start, timeout);
        }
        if (wait_on(&s->waiters, &s->lock, flags, deadline) == -ETIMEDOUT)
            return SYS_ARCH_TIMEOUT;
    }
}

/* ---- mutexes ---- */

err_t sys_mutex_new(sys_mutex_t *m)
{
    m->m = (struct mutex)MUTEX_INIT;
    m->valid = true;
    return ERR_OK;
}

void sys_mutex_free(sys_mutex_t *m)
{
    m->valid = false;
}

void sys_mutex_lock(sys_mutex_t *m)
{
    mutex_lock(&m->m);
}

void sys_mutex_unlock(sys_mutex_t *m)
{
    mutex_unlock(&m->m);
}

/* ---- mailboxes ---- */

err_t sys_mbox_new(sys_mbox_t *b, int size)
{
    if (size <= 0)
        size = 16;
    b->msgs = kmalloc((size_t)size * sizeof(void *));
    if (!b->msgs)
        return ERR_MEM;
    b->lock = (spinlock_t)SPINLOCK_INIT;
    b->size = (unsigned)size;
    b->head = b->count = 0;
    b->readers = (struct wait_queue)WAIT_QUEUE_INIT;
    b->writers = (struct wait_queue)WAIT_QUEUE_INIT;
    b->valid = true;
    return ERR_OK;
}

void sys_mbox_free(sys_mbox_t *b)
{
    kfree(b->msgs);
    b->msgs = NULL;
    b->valid = false;
}

/* Called with the lock held and room in the ring. */
static void mbox_put(sys_mbox_t *b, void *msg)
{
    unsigned tail = b->head + b->count;
    if (tail >= b->size)
        tail -= b->size;
    b->msgs[tail] = msg;
    b->count++;
    wake_one(&b->readers);
}

void sys_mbox_post(sys_mbox_t *b, void *msg)
{
    for (;;) {
        uint64_t flags = spin_lock(&b->lock);
        if (b->count < b->size) {
            mbox_put(b, msg);
            spin_unlock(&b->lock, flags);
            return;
        }
        wait_on(&b->writers, &b->lock, flags, 0);
    }
}

err_t sys_mbox_trypost(sys_mbox_t *b, void *msg)
{
    uint64_t flags = spin_lock(&b->lock);
    err_t rc = ERR_MEM;
    if (b->count < b->size) {
        mbox_put(b, msg);
        rc = ERR_OK;
    }
    spin_unlock(&b->lock, flags);
    return rc;
}

/* From an interrupt handler: the same, the lock already keeps interrupts off. */
err_t sys_mbox_trypost_fromisr(sys_mbox_t *b, void *msg)
{
    return sys_mbox_trypost(b, msg);
}

/* Called with the lock held and a message in the ring. */
static void *mbox_take(sys_mbox_t *b)
{
    void *msg = b->msgs[b->head];
    if (++b->head == b->size)
        b->head = 0;
    b->count--;
    wake_one(&b->writers);
    return msg;
}

u32_t sys_arch_mbox_fetch(sys_mbox_t *b, void **msg, u32_t timeout)
{
    uint64_t start = 0, deadline = 0;
    for (;;) {
        uint64_t flags = spin_lock(&b->lock);
        if (b->count) {
            void *m = mbox_take(b);
            spin_unlock(&b->lock, flags);
            if (msg)
                *msg = m;
            return waited_ms(start);
        }
        if (!start) {
            start = rdtsc();
            deadline = deadline_ms(start, timeout);
        }
        if (wait_on(&b->readers, &b->lock, flags, deadline) == -ETIMEDOUT)
            return SYS_ARCH_TIMEOUT;
    }
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t *b, void **msg)
{
    uint64_t flags = spin_lock(&b->lock);
    if (!b->count) {
        spin_unlock(&b->lock, flags);
        return SYS_MBOX_EMPTY;
    }
    void *m = mbox_take(b);
    spin_unlock(&b->lock, flags);
    if (msg)
        *msg = m;
    return 0;
}

/* ---- threads ---- */

/* lwIP's threads (the tcpip thread) live as the Linux layer does: on CPU 0, with interrupts off
 * except while they block, so they never run at the same time as a system call, nor get
 * preempted inside one of the kernel's allocators (the heap and the page allocator have no
 * locks: kernel/mm). */
struct lwip_thread_start {
    lwip_thread_fn fn;
    void *arg;
};

static void lwip_thread(void *p)
{
    struct lwip_thread_start st = *(struct lwip_thread_start *)p;
    kfree(p);
    (void)irq_save(); /* interrupts off from here; blocking waits restore this state */
    st.fn(st.arg);
}

sys_thread_t sys_thread_new(const char *name, lwip_thread_fn fn, void *arg, int stacksize,
                            int prio)
{
    struct lwip_thread_start *st = kmalloc(sizeof(*st));
    if (!st)
        panic("lwip: cannot create thread %s", name);
    st->fn = fn;
    st->arg = arg;
    struct thread *t = thread_create(lwip_thread, st, name, 0);
    if (!t)
        panic("lwip: cannot create thread %s", name);
    return t;
}

/* ---- platform hooks (arch/cc.h) ---- */

void lwip_mote_diag(const char *fmt, ...)
{
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printk(LOG_INFO, "lwip: %s", buf);
}

void lwip_mote_assert(const char *msg, const char *file, int line)
{
    panic("lwip: assertion \"%s\" failed at %s:%d", msg, file, line);
}

uint32_t lwip_mote_rand(void)
{
    uint32_t v;
    random_fill(&v, sizeof(v));
    return v;
}

void *lwip_mote_malloc(size_t size)
{
    return kmalloc(size);
}

void *lwip_mote_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return kzalloc(n * size);
}

void lwip_mote_free(void *p)
{
    kfree(p);
}
