/* Readiness changes of files: one generation counter and one wait queue for the whole kernel.
 * A file whose poll() answer can change through an event (data or a connection arriving, a
 * peer closing, a pipe written) calls file_ready_changed(); poll, select, epoll and blocking
 * socket calls read the generation, test their files, and sleep until it moves (or a deadline).
 * One queue is enough for one program: every waiter re-tests its own files when woken. */
#include <errno.h>

#include "fs/vfs.h"
#include "linux/process.h"
#include "mote/sched.h"

static spinlock_t lock = SPINLOCK_INIT;
static struct wait_queue waiters = WAIT_QUEUE_INIT;
static volatile uint64_t generation;

uint64_t file_ready_gen(void)
{
    return __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
}

void file_ready_changed(void)
{
    uint64_t flags = spin_lock(&lock);
    generation++;
    if (waiters.head)
        wake_all(&waiters);
    spin_unlock(&lock, flags);
}

int file_ready_wait(uint64_t gen, uint64_t deadline_tsc)
{
    uint64_t flags = spin_lock(&lock);
    if (generation != gen) {
        spin_unlock(&lock, flags);
        return 0;
    }
    /* A signal for the waiter's process (or its end) wakes it too, and a pending one keeps it
     * from sleeping: the caller gives up with -ERESTARTSYS (linux/process.h). */
    int rc = uwait_on(&waiters, &lock, flags, deadline_tsc);
    if (rc == -ERESTARTSYS || signal_interrupts())
        return -ERESTARTSYS;
    return rc ? -ETIMEDOUT : 0;
}
