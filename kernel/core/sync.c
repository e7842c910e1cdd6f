/* Mutexes, condition variables and semaphores on wait queues (mote/sched.h). */
#include "mote/sched.h"

void mutex_lock(struct mutex *m)
{
    struct thread *self = current();
    for (;;) {
        uint64_t flags = spin_lock(&m->lock);
        if (!m->owner) {
            m->owner = self;
            spin_unlock(&m->lock, flags);
            return;
        }
        wait_on(&m->waiters, &m->lock, flags, 0);
    }
}

void mutex_unlock(struct mutex *m)
{
    uint64_t flags = spin_lock(&m->lock);
    m->owner = NULL;
    wake_one(&m->waiters);
    spin_unlock(&m->lock, flags);
}

void cond_wait(struct condvar *c, struct mutex *m)
{
    /* Queue on the condition under the mutex's spinlock, so a signal between the unlock and
     * the sleep is not lost: signal takes the same spinlock. */
    uint64_t flags = spin_lock(&m->lock);
    m->owner = NULL;
    wake_one(&m->waiters);
    wait_on(&c->waiters, &m->lock, flags, 0);
    mutex_lock(m);
}

/* Callers hold m (the mutex passed to cond_wait), as POSIX recommends; the wait queue itself is
 * protected by that mutex's spinlock, taken here. */
static void cond_wake(struct condvar *c, struct mutex *m, bool all)
{
    uint64_t flags = spin_lock(&m->lock);
    if (all)
        wake_all(&c->waiters);
    else
        wake_one(&c->waiters);
    spin_unlock(&m->lock, flags);
}

void sem_init(struct semaphore *s, int count)
{
    s->lock = (spinlock_t)SPINLOCK_INIT;
    s->count = count;
    s->waiters = (struct wait_queue)WAIT_QUEUE_INIT;
}

void sem_down(struct semaphore *s)
{
    for (;;) {
        uint64_t flags = spin_lock(&s->lock);
        if (s->count > 0) {
            s->count--;
            spin_unlock(&s->lock, flags);
            return;
        }
        wait_on(&s->waiters, &s->lock, flags, 0);
    }
}

void sem_up(struct semaphore *s)
{
    uint64_t flags = spin_lock(&s->lock);
    s->count++;
    wake_one(&s->waiters);
    spin_unlock(&s->lock, flags);
}

void cond_signal(struct condvar *c, struct mutex *m)
{
    cond_wake(c, m, false);
}

void cond_broadcast(struct condvar *c, struct mutex *m)
{
    cond_wake(c, m, true);
}
