/* Scheduler costs, printed as "bench NAME: N ns (M TSC cycles)" lines: thread create+exit,
 * context switch (two threads yielding on one CPU), cross-CPU wake-up round trip (semaphore
 * ping-pong, i.e. an IPI each way), and the boot's per-AP start time. Run with --test=sched-bench;
 * bench/sched.py collects the lines. */
#include "mote/bootchart.h"
#include "mote/ktest.h"
#include "mote/printk.h"
#include "mote/sched.h"
#include "mote/x86.h"

#define ROUNDS 2000

static volatile int exited;
static volatile bool stop;
static struct semaphore ping, pong;

static void empty(void *arg)
{
    exited++;
}

static void yielder(void *arg)
{
    while (!stop)
        thread_yield();
}

static void ponger(void *arg)
{
    for (int i = 0; i < ROUNDS; i++) {
        sem_down(&ping);
        sem_up(&pong);
    }
}

static void report(const char *what, uint64_t cycles, unsigned n)
{
    uint64_t per = cycles / n;
    printk(LOG_ERR, "bench %s: %lu ns (%lu TSC cycles)\n", what, tsc_to_ns(per), per);
}

void ktest_sched_bench(void)
{
    uint64_t t0 = rdtsc();
    for (int i = 0; i < 200; i++) {
        thread_create(empty, NULL, "empty", 0);
        while (exited <= i)
            thread_yield();
    }
    report("thread create+run+exit", rdtsc() - t0, 200);

    thread_create(yielder, NULL, "yielder", 0);
    thread_yield();
    uint64_t s0 = this_cpu()->switches;
    t0 = rdtsc();
    for (int i = 0; i < ROUNDS; i++)
        thread_yield();
    uint64_t switches = this_cpu()->switches - s0;
    report("context switch", rdtsc() - t0, switches ? switches : 1);
    stop = true;

    if (cpus_online > 1) {
        sem_init(&ping, 0);
        sem_init(&pong, 0);
        thread_create(ponger, NULL, "ponger", 1);
        t0 = rdtsc();
        for (int i = 0; i < ROUNDS; i++) {
            sem_up(&ping);
            sem_down(&pong);
        }
        report("cross-CPU wake-up round trip", rdtsc() - t0, ROUNDS);
    }
    ktest_check("sched-bench", "completed", true, "%u CPUs", cpus_online);
}
