/* lwIP's operating-system types on Mote's threads (lwIP's doc/sys_arch.txt; net/sys_arch.c):
 * semaphores and mailboxes on wait queues with timeouts, mutexes, threads. */
#ifndef MOTE_LWIP_ARCH_SYS_ARCH_H
#define MOTE_LWIP_ARCH_SYS_ARCH_H

#include "mote/sched.h"

/* A counting semaphore whose waits may time out (struct semaphore has no timeout). */
struct sys_sem {
    spinlock_t lock;
    int count;
    struct wait_queue waiters;
    bool valid;
};
typedef struct sys_sem sys_sem_t;

typedef struct {
    struct mutex m;
    bool valid;
} sys_mutex_t;

/* A bounded mailbox: a ring of size message pointers. */
struct sys_mbox {
    spinlock_t lock;
    void **msgs;
    unsigned size, head, count;
    struct wait_queue readers, writers;
    bool valid;
};
typedef struct sys_mbox sys_mbox_t;

typedef struct thread *sys_thread_t;

#define sys_sem_valid(s) ((s)->valid)
#define sys_sem_set_invalid(s) ((s)->valid = false)
#define sys_mutex_valid(m) ((m)->valid)
#define sys_mutex_set_invalid(m) ((m)->valid = false)
#define sys_mbox_valid(b) ((b)->valid)
#define sys_mbox_set_invalid(b) ((b)->valid = false)

#endif
