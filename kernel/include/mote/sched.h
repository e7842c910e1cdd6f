/* Threads and the scheduler (core/sched.c): per-CPU run queues, preemption by the LAPIC timer,
 * sleep, wait queues; mutexes, condition variables and semaphores (core/sync.c).
 * A thread's kernel stack is KSTACK_SIZE-aligned with the thread pointer in its top slot, so
 * current() is arithmetic on RSP: no per-CPU segment register, nothing PVM must emulate. */
#ifndef MOTE_SCHED_H
#define MOTE_SCHED_H

#include "mote/layout.h"
#include "mote/platform.h"
#include "mote/spinlock.h"
#include "mote/types.h"

struct cpu;
struct mm;
struct wait_queue;

enum thread_state { THREAD_READY, THREAD_RUNNING, THREAD_BLOCKED, THREAD_DEAD };

struct thread {
    uint64_t rsp;               /* saved kernel stack pointer while switched out */
    void *stack;                /* lowest address of the kernel stack */
    struct cpu *cpu;            /* where it runs or waits to run */
    volatile int state;
    struct thread *next;        /* run queue, wait queue or sleep list link */
    uint64_t wake_tsc;          /* sleeping: when to wake; 0 = not sleeping */
    bool timed_out;
    struct wait_queue *waiting_on;
    int tid;
    const char *name;
    void (*fn)(void *);
    void *arg;
    /* The program's state, for threads that run at CPL3. */
    uint64_t fs_base;
    uint8_t fpu[512] __attribute__((aligned(16))); /* fxsave image */
    void *proc;                 /* the Linux layer's per-thread data */
    struct mm *mm;              /* its address space (NULL: a kernel thread, any will do) */
};

struct cpu {
    unsigned index;
    uint32_t apic_id;
    struct thread *current, *idle;
    spinlock_t lock;            /* run queue and sleepers */
    struct thread *rq_head, *rq_tail;
    unsigned rq_len;
    struct thread *sleepers;    /* sorted by wake_tsc */
    uint64_t quantum_end;
    volatile bool online;
    uint64_t switches;          /* context switches, for the tests and benchmarks */
    struct thread *dead;        /* an exited thread whose stack is freed after the switch */
};

extern struct cpu cpus[MAX_CPUS];
extern volatile unsigned cpus_online;

static inline struct thread *current(void)
{
    uint64_t rsp;
    __asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
    return *(struct thread **)((rsp | (KSTACK_SIZE - 1)) - 7);
}

static inline struct cpu *this_cpu(void)
{
    return current()->cpu;
}

/* Call once on the boot CPU, after memory and interrupts: the running boot context becomes
 * thread "main" of CPU 0. */
void sched_init(void);
/* Call on each AP once its CPU tables are loaded (stack: the idle thread's); never returns. */
__noreturn void sched_ap_start(struct cpu *c);
/* A new kernel thread running fn(arg), queued on the least loaded online CPU (or cpu >= 0). */
struct thread *thread_create(void (*fn)(void *), void *arg, const char *name, int cpu);
__noreturn void thread_exit(void);
void thread_yield(void);
/* Sleeps until the TSC reaches deadline (or for ns nanoseconds). */
void thread_sleep_until(uint64_t deadline_tsc);
void thread_sleep_ns(uint64_t ns);
/* Called by the timer interrupt and by IPIs: wakes sleepers, preempts on quantum end. */
void sched_timer_tick(void);
/* Makes a blocked thread runnable (on its CPU; kicks that CPU if idle). */
void thread_wake(struct thread *t);

uint64_t ns_to_tsc(uint64_t ns);
uint64_t tsc_to_ns(uint64_t tsc);

/* Wait queues: threads blocked until woken. A queue has no lock of its own: the caller's lock
 * (the one protecting the condition waited for) protects it. Nodes live on the waiters' stacks. */
struct wait_node {
    struct thread *t;
    struct wait_node *next;
};
struct wait_queue {
    struct wait_node *head, *tail;
};
#define WAIT_QUEUE_INIT {NULL, NULL}
/* Blocks on wq, releasing *lock (taken with spin_lock, flags as it returned) atomically; returns
 * with the lock NOT held and interrupts as in flags. deadline_tsc 0 = no timeout.
 * Returns 0, or -ETIMEDOUT. */
int wait_on(struct wait_queue *wq, spinlock_t *lock, uint64_t flags, uint64_t deadline_tsc);
/* Wake the first or every waiter; the caller holds the queue's lock. */
void wake_one(struct wait_queue *wq);
void wake_all(struct wait_queue *wq);

struct mutex {
    spinlock_t lock;
    struct thread *owner;
    struct wait_queue waiters;
};
#define MUTEX_INIT {SPINLOCK_INIT, NULL, WAIT_QUEUE_INIT}
void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);

/* A condition variable belongs to one mutex (its wait queue is protected by that mutex's
 * spinlock); signal and broadcast are called with the mutex held. */
struct condvar {
    struct wait_queue waiters;
};
#define CONDVAR_INIT {WAIT_QUEUE_INIT}
void cond_wait(struct condvar *c, struct mutex *m);
void cond_signal(struct condvar *c, struct mutex *m);
void cond_broadcast(struct condvar *c, struct mutex *m);

struct semaphore {
    spinlock_t lock;
    int count;
    struct wait_queue waiters;
};
void sem_init(struct semaphore *s, int count);
void sem_down(struct semaphore *s);
void sem_up(struct semaphore *s);

#endif
