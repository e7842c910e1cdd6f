/* SMP and threads: the CPUs found match the machine; threads spread over every CPU count under a
 * mutex and meet at a condition-variable barrier; a semaphore ping-pong crosses CPUs. */
#include "mote/arch.h"
#include "mote/ktest.h"
#include "mote/platform.h"
#include "mote/printk.h"
#include "mote/sched.h"
#include "mote/string.h"

#define THREADS_PER_CPU 3
#define COUNT 20000

static struct mutex lock = MUTEX_INIT;
static struct condvar all_arrived = CONDVAR_INIT;
static uint64_t counter;
static unsigned arrived, nthreads, ran_on[MAX_CPUS];
static volatile unsigned done;

static void counting_thread(void *arg)
{
    for (int i = 0; i < COUNT; i++) {
        mutex_lock(&lock);
        counter++;
        mutex_unlock(&lock);
        if (i % 1000 == 0)
            thread_yield();
    }
    mutex_lock(&lock);
    ran_on[this_cpu()->index]++;
    arrived++;
    if (arrived == nthreads)
        cond_broadcast(&all_arrived, &lock);
    else
        while (arrived < nthreads)
            cond_wait(&all_arrived, &lock);
    mutex_unlock(&lock);
    __atomic_fetch_add(&done, 1, __ATOMIC_RELEASE);
}

static struct semaphore ping, pong;

static void ponger(void *arg)
{
    for (int i = 0; i < 100; i++) {
        sem_down(&ping);
        sem_up(&pong);
    }
}

void ktest_smp(void)
{
    ktest_check("smp", "CPUs found", platform.ncpus >= 1, "%u from %s", platform.ncpus,
                platform.source);
    ktest_check("smp", "all CPUs online", cpus_online == platform.ncpus, "%u of %u", cpus_online,
                platform.ncpus);

    nthreads = cpus_online * THREADS_PER_CPU;
    for (unsigned i = 0; i < nthreads; i++)
        if (!thread_create(counting_thread, NULL, "counter", (int)(i % cpus_online)))
            ktest_check("smp", "thread create", false, "thread %u", i);
    while (done < nthreads)
        thread_sleep_ns(1000000);
    ktest_check("smp", "mutex counter", counter == (uint64_t)nthreads * COUNT, "%lu of %lu",
                counter, (uint64_t)nthreads * COUNT);
    unsigned used = 0;
    for (unsigned i = 0; i < cpus_online; i++)
        used += ran_on[i] > 0;
    ktest_check("smp", "threads ran on every CPU", used == cpus_online, "%u of %u CPUs", used,
                cpus_online);
    ktest_check("smp", "barrier", arrived == nthreads, "%u of %u", arrived, nthreads);

    sem_init(&ping, 0);
    sem_init(&pong, 0);
    thread_create(ponger, NULL, "ponger", cpus_online > 1 ? 1 : 0);
    for (int i = 0; i < 100; i++) {
        sem_up(&ping);
        sem_down(&pong);
    }
    ktest_check("smp", "semaphore ping-pong", true, "100 round trips");
}
