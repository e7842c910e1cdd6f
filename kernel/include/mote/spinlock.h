/* Spinlocks that also disable interrupts on this CPU while held (the scheduler and interrupt
 * handlers share data). xchg is a locked instruction on every x86. */
#ifndef MOTE_SPINLOCK_H
#define MOTE_SPINLOCK_H

#include "mote/types.h"

typedef struct {
    volatile uint32_t locked;
} spinlock_t;

#define SPINLOCK_INIT {0}

#ifndef MOTE_HOST_TEST
static inline uint64_t irq_save(void)
{
    uint64_t flags;
    __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
    return flags;
}

static inline void irq_restore(uint64_t flags)
{
    if (flags & (1ul << 9))
        __asm__ volatile("sti" : : : "memory");
}
#else
/* Host unit tests of kernel code run at CPL3, where cli faults: no interrupts to mask there. */
static inline uint64_t irq_save(void)
{
    return 0;
}

static inline void irq_restore(uint64_t flags)
{
    (void)flags;
}
#endif

static inline void spin_lock_raw(spinlock_t *l)
{
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        while (l->locked)
            __asm__ volatile("pause");
}

static inline void spin_unlock_raw(spinlock_t *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline uint64_t spin_lock(spinlock_t *l)
{
    uint64_t flags = irq_save();
    spin_lock_raw(l);
    return flags;
}

static inline void spin_unlock(spinlock_t *l, uint64_t flags)
{
    spin_unlock_raw(l);
    irq_restore(flags);
}

#endif
