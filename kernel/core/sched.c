/* Threads and the scheduler: one run queue per CPU (round robin, 10 ms quantum), preemption by
 * the LAPIC timer, a sorted sleep list per CPU, wait queues. New threads go to the least loaded
 * online CPU (the load balancing: placement at creation). The timer is armed only while a CPU
 * has something to time — a CPU with one runnable thread and no sleepers takes no timer exits. */
#include <errno.h>

#include "mote/arch.h"
#include "mote/bootchart.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/sched.h"
#include "mote/string.h"
#include "mote/uspace.h"
#include "mote/x86.h"

#define QUANTUM_NS 10000000ull

struct cpu cpus[MAX_CPUS];
volatile unsigned cpus_online;

extern char boot_stack[];
static struct thread main_thread;
static int next_tid = 1;
static uint64_t tsc_khz;

static const uint8_t default_fpu[512] __attribute__((aligned(16))) = {
    [0] = 0x7f, [1] = 0x03, [24] = 0x80, [25] = 0x1f, /* FCW 0x37f, MXCSR 0x1f80 */
};

uint64_t ns_to_tsc(uint64_t ns)
{
    if (!tsc_khz)
        tsc_khz = arch_tsc_khz(); /* on first use: calibration is not on the boot path */
    return ns / 1000 * tsc_khz / 1000 + (ns % 1000) * tsc_khz / 1000000;
}

uint64_t tsc_to_ns(uint64_t tsc)
{
    if (!tsc_khz)
        tsc_khz = arch_tsc_khz();
    return tsc / tsc_khz * 1000000 + (tsc % tsc_khz) * 1000000 / tsc_khz;
}

static void set_thread_pointer(void *stack, struct thread *t)
{
    *(struct thread **)((uint64_t)stack + KSTACK_SIZE - 8) = t;
}

/* Run queue and sleepers: callers hold c->lock. */
static void rq_push(struct cpu *c, struct thread *t)
{
    t->next = NULL;
    if (c->rq_tail)
        c->rq_tail->next = t;
    else
        c->rq_head = t;
    c->rq_tail = t;
    c->rq_len++;
}

static struct thread *rq_pop(struct cpu *c)
{
    struct thread *t = c->rq_head;
    if (t) {
        c->rq_head = t->next;
        if (!c->rq_head)
            c->rq_tail = NULL;
        c->rq_len--;
        t->next = NULL;
    }
    return t;
}

static void sleeper_insert(struct cpu *c, struct thread *t)
{
    struct thread **pp = &c->sleepers;
    while (*pp && (*pp)->wake_tsc <= t->wake_tsc)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
}

static void sleeper_remove(struct cpu *c, struct thread *t)
{
    for (struct thread **pp = &c->sleepers; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            t->next = NULL;
            return;
        }
    }
}

/* Arms the timer for the earliest of: the quantum end (only when others wait to run) and the
 * first sleeper. c->lock held. */
static void arm_timer(struct cpu *c)
{
    uint64_t deadline = 0;
    if (c->rq_len)
        deadline = c->quantum_end;
    if (c->sleepers && (!deadline || c->sleepers->wake_tsc < deadline))
        deadline = c->sleepers->wake_tsc;
    if (deadline)
        arch_timer_arm(deadline);
}

/* Frees the thread that exited before the switch that brought us here. */
static void reap(struct cpu *c)
{
    struct thread *t = c->dead;
    if (t) {
        c->dead = NULL;
        kstack_free(t->stack);
        kfree(t);
    }
}

/* Picks the next thread and switches to it. Interrupts must be off. */
static struct thread *make_idle(struct cpu *c);

static void schedule(void)
{
    struct cpu *c = this_cpu();
    struct thread *prev = c->current;
    if (!c->idle)
        c->idle = make_idle(c); /* the boot CPU's, on first need: not on the boot path */
    spin_lock_raw(&c->lock);
    if (prev->state == THREAD_RUNNING && prev != c->idle) {
        prev->state = THREAD_READY;
        rq_push(c, prev);
    }
    struct thread *next = rq_pop(c);
    if (!next)
        next = c->idle;
    next->state = THREAD_RUNNING;
    next->cpu = c;
    c->current = next;
    c->quantum_end = rdtsc() + ns_to_tsc(QUANTUM_NS);
    arm_timer(c);
    spin_unlock_raw(&c->lock);
    if (next != prev) {
        c->switches++;
        if (prev->state == THREAD_DEAD)
            c->dead = prev;
        if (next->mm)
            mm_load(next->mm); /* another process's thread: its page tables (CR3) */
        arch_switch_to(prev, next, c->index);
        arch_context_switch(&prev->rsp, next->rsp);
        reap(this_cpu());
    }
}

void thread_start(void);
void thread_start(void)
{
    struct thread *t = current();
    reap(t->cpu);
    __asm__ volatile("sti");
    t->fn(t->arg);
    thread_exit();
}

static struct cpu *least_loaded(void)
{
    struct cpu *best = &cpus[0];
    for (unsigned i = 1; i < cpus_online; i++)
        if (cpus[i].online && cpus[i].rq_len + (cpus[i].current != cpus[i].idle) <
                                  best->rq_len + (best->current != best->idle))
            best = &cpus[i];
    return best;
}

static struct thread *thread_alloc(void (*fn)(void *), void *arg, const char *name)
{
    struct thread *t = kzalloc(sizeof(*t));
    void *stack = kstack_alloc();
    if (!t || !stack) {
        kfree(t);
        return NULL;
    }
    t->stack = stack;
    set_thread_pointer(stack, t);
    t->rsp = arch_thread_stack((char *)stack + KSTACK_SIZE);
    t->fn = fn;
    t->arg = arg;
    t->name = name;
    t->tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
    memcpy(t->fpu, default_fpu, sizeof(t->fpu));
    return t;
}

struct thread *thread_create(void (*fn)(void *), void *arg, const char *name, int cpu)
{
    struct thread *t = thread_alloc(fn, arg, name);
    if (!t)
        return NULL;
    struct cpu *c = cpu >= 0 && (unsigned)cpu < cpus_online ? &cpus[cpu] : least_loaded();
    t->cpu = c;
    t->state = THREAD_BLOCKED;
    thread_wake(t);
    return t;
}

void thread_wake(struct thread *t)
{
    int blocked = THREAD_BLOCKED;
    if (!__atomic_compare_exchange_n(&t->state, &blocked, THREAD_READY, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_RELAXED))
        return;
    struct cpu *c = t->cpu;
    uint64_t flags = spin_lock(&c->lock);
    if (t->wake_tsc) {
        sleeper_remove(c, t);
        t->wake_tsc = 0;
    }
    rq_push(c, t);
    bool local = c == this_cpu();
    if (local)
        arm_timer(c); /* the timer is per CPU: only ours can be armed from here */
    spin_unlock(&c->lock, flags);
    if (!local)
        arch_kick_cpu(c->apic_id); /* it re-evaluates its run queue and its timer */
}

void thread_yield(void)
{
    uint64_t flags = irq_save();
    schedule();
    irq_restore(flags);
}

__noreturn void thread_exit(void)
{
    __asm__ volatile("cli");
    current()->state = THREAD_DEAD; /* its stack is in use until the switch: not freed here */
    schedule();
    panic("sched: a dead thread ran again");
}

void thread_sleep_until(uint64_t deadline)
{
    uint64_t flags = irq_save();
    struct thread *t = current();
    struct cpu *c = t->cpu;
    spin_lock_raw(&c->lock);
    t->wake_tsc = deadline ? deadline : 1;
    t->state = THREAD_BLOCKED;
    sleeper_insert(c, t);
    spin_unlock_raw(&c->lock);
    schedule();
    irq_restore(flags);
}

void thread_sleep_ns(uint64_t ns)
{
    thread_sleep_until(rdtsc() + ns_to_tsc(ns));
}

void sched_timer_tick(void)
{
    struct cpu *c = this_cpu();
    uint64_t now = rdtsc();
    spin_lock_raw(&c->lock);
    while (c->sleepers && c->sleepers->wake_tsc <= now) {
        struct thread *t = c->sleepers;
        c->sleepers = t->next;
        t->wake_tsc = 0;
        int blocked = THREAD_BLOCKED;
        /* A thread_wake racing with us may have won: then it does the enqueue. */
        if (__atomic_compare_exchange_n(&t->state, &blocked, THREAD_READY, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            t->timed_out = true;
            rq_push(c, t);
        }
    }
    bool preempt = c->current == c->idle ? c->rq_len > 0 : (c->rq_len && now >= c->quantum_end);
    if (!preempt)
        arm_timer(c);
    spin_unlock_raw(&c->lock);
    if (preempt)
        schedule();
}

static void idle_loop(void *arg)
{
    for (;;) {
        __asm__ volatile("cli");
        struct cpu *c = this_cpu();
        if (c->rq_len)
            schedule();
        else
            arch_idle();
        __asm__ volatile("sti");
    }
}

static struct thread *make_idle(struct cpu *c)
{
    struct thread *t = thread_alloc(idle_loop, c, "idle");
    if (!t)
        panic("sched: no memory for the idle thread of CPU %u", c->index);
    t->cpu = c;
    t->state = THREAD_READY;
    return t;
}

void sched_init(void)
{
    struct cpu *c = &cpus[0];
    c->index = 0;
    c->apic_id = platform.apic_id[0];
    main_thread.stack = boot_stack;
    main_thread.name = "main";
    main_thread.tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
    main_thread.cpu = c;
    main_thread.state = THREAD_RUNNING;
    memcpy(main_thread.fpu, default_fpu, sizeof(main_thread.fpu));
    set_thread_pointer(boot_stack, &main_thread);
    c->current = &main_thread;
    c->online = true;
    cpus_online = 1;
    arch_set_kernel_stack(0, (uint64_t)boot_stack + KSTACK_SIZE - 16);
}

/* Prepares CPU index's idle thread; the AP switches to it in sched_ap_start. */
struct thread *sched_prepare_ap(unsigned index, uint32_t apic_id);
struct thread *sched_prepare_ap(unsigned index, uint32_t apic_id)
{
    struct cpu *c = &cpus[index];
    c->index = index;
    c->apic_id = apic_id;
    c->idle = make_idle(c);
    c->current = c->idle;
    c->idle->state = THREAD_RUNNING;
    return c->idle;
}

__noreturn void sched_ap_start(struct cpu *c)
{
    arch_set_kernel_stack(c->index, (uint64_t)c->idle->stack + KSTACK_SIZE - 16);
    c->online = true;
    __atomic_fetch_add(&cpus_online, 1, __ATOMIC_RELEASE);
    idle_loop(c);
    __builtin_unreachable();
}

/* Wait queues. The caller holds *lock, which protects both the condition it tested and wq. */
int wait_on(struct wait_queue *wq, spinlock_t *lock, uint64_t flags, uint64_t deadline)
{
    struct thread *t = current();
    struct wait_node node = {t, NULL};
    t->timed_out = false;
    t->waiting_on = wq;
    if (wq->tail)
        wq->tail->next = &node;
    else
        wq->head = &node;
    wq->tail = &node;

    struct cpu *c = t->cpu;
    spin_lock_raw(&c->lock);
    t->state = THREAD_BLOCKED;
    if (deadline) {
        t->wake_tsc = deadline;
        sleeper_insert(c, t);
    }
    spin_unlock_raw(&c->lock);
    spin_unlock_raw(lock);
    schedule();

    /* Woken (already dequeued by wake_one) or timed out (still queued: dequeue). */
    spin_lock_raw(lock);
    struct wait_node *prev = NULL;
    for (struct wait_node *n = wq->head; n; prev = n, n = n->next) {
        if (n == &node) {
            if (prev)
                prev->next = n->next;
            else
                wq->head = n->next;
            if (wq->tail == n)
                wq->tail = prev;
            break;
        }
    }
    spin_unlock_raw(lock);
    t->waiting_on = NULL;
    irq_restore(flags);
    return t->timed_out ? -ETIMEDOUT : 0;
}

void wake_one(struct wait_queue *wq)
{
    struct wait_node *n = wq->head;
    if (!n)
        return;
    wq->head = n->next;
    if (!wq->head)
        wq->tail = NULL;
    struct thread *t = n->t;
    t->timed_out = false;
    thread_wake(t);
}

void wake_all(struct wait_queue *wq)
{
    while (wq->head)
        wake_one(wq);
}
