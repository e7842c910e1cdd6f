/* Time: sleeping 10 ms measures 10 ms on the TSC (within 10 %), and sleepers wake in order. */
#include "mote/bootchart.h"
#include "mote/ktest.h"
#include "mote/sched.h"
#include "mote/x86.h"

static volatile int order[3], norder;

static void sleeper(void *arg)
{
    uint64_t ms = (uint64_t)arg;
    thread_sleep_ns(ms * 1000000);
    order[__atomic_fetch_add(&norder, 1, __ATOMIC_RELAXED)] = (int)ms;
}

void ktest_timer(void)
{
    uint64_t khz = arch_tsc_khz();
    ktest_check("timer", "TSC frequency known", khz > 0, "%lu kHz", khz);
    /* Never early; and the median of five within 10 % (an emulator's host load shows in single
     * sleeps, not in the median). */
    uint64_t us[5];
    bool early = false;
    for (int i = 0; i < 5; i++) {
        uint64_t t0 = rdtsc();
        thread_sleep_ns(10000000);
        us[i] = tsc_to_ns(rdtsc() - t0) / 1000;
        early |= us[i] < 10000;
        for (int j = i; j > 0 && us[j] < us[j - 1]; j--) {
            uint64_t x = us[j];
            us[j] = us[j - 1];
            us[j - 1] = x;
        }
    }
    ktest_check("timer", "sleep 10 ms never wakes early", !early, "shortest %lu us", us[0]);
    ktest_check("timer", "sleep 10 ms median within 10 %", us[2] <= 11000, "median %lu us",
                us[2]);
    thread_create(sleeper, (void *)30, "s30", -1);
    thread_create(sleeper, (void *)10, "s10", -1);
    thread_create(sleeper, (void *)20, "s20", -1);
    thread_sleep_ns(60000000);
    ktest_check("timer", "sleepers wake in deadline order",
                norder == 3 && order[0] == 10 && order[1] == 20 && order[2] == 30,
                "%d %d %d", order[0], order[1], order[2]);
}
