/* Time system calls from the TSC (arch_tsc_khz). CLOCK_MONOTONIC counts from boot;
 * CLOCK_REALTIME adds the wall-clock time the CMOS RTC gave at the first question (0, the epoch,
 * on machines without one, such as Firecracker's). Sleeping is the scheduler's (the CPU halts
 * while nothing else runs). */
#include <errno.h>

#include "fs/vfs.h"
#include "linux/process.h"
#include "linux/syscalls.h"
#include "mote/bootchart.h"
#include "mote/sched.h"
#include "mote/uspace.h"
#include "mote/x86.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define TIMER_ABSTIME 1
#define NSEC NSEC_PER_SEC

static uint64_t tsc0, khz;
static int64_t epoch_offset = -1;

/* Nanoseconds since the first call (boot, in practice: the bootfs is timestamped with it). */
static uint64_t mono_ns(void)
{
    if (!khz) {
        khz = arch_tsc_khz();
        tsc0 = rdtsc();
        if (!khz)
            khz = 1000000; /* no frequency known: pretend 1 GHz rather than divide by 0 */
    }
    uint64_t t = rdtsc() - tsc0;
    return t / khz * 1000000 + t % khz * 1000000 / khz;
}

static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static int bcd(uint8_t v, bool binary)
{
    return binary ? v : (v >> 4) * 10 + (v & 15);
}

/* Seconds since 1970 from the RTC (MC146818), or 0 without one. */
static int64_t rtc_seconds(void)
{
    if (cmos(0x0a) == 0xff)
        return 0;
    for (int tries = 0; tries < 1000 && (cmos(0x0a) & 0x80); tries++)
        ;
    uint8_t regb = cmos(0x0b);
    bool bin = regb & 4;
    int s = bcd(cmos(0), bin), m = bcd(cmos(2), bin), h = bcd(cmos(4) & 0x7f, bin);
    int d = bcd(cmos(7), bin), mo = bcd(cmos(8), bin), y = bcd(cmos(9), bin) + 2000;
    if (!(regb & 2) && (cmos(4) & 0x80))
        h = (h % 12) + 12;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || m > 59 || s > 60)
        return 0;
    /* Days from civil (H. Hinnant's algorithm). */
    y -= mo <= 2;
    int64_t era = y / 400, yoe = y - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + h * 3600 + m * 60 + s;
}

static uint64_t real_ns(void)
{
    uint64_t mono = mono_ns();
    if (epoch_offset < 0)
        epoch_offset = rtc_seconds() * (int64_t)NSEC - (int64_t)mono;
    return mono + epoch_offset;
}

static bool stamps;

void time_start_stamps(void)
{
    stamps = true;
}

/* Files made while booting are stamped 0 (1970; cpio entries carry their own time): asking the
 * TSC frequency that early would calibrate it against the PIT on machines that do not announce
 * it (hundreds of port exits), before any program wants the time. */
struct kts vfs_now(void)
{
    if (!stamps)
        return (struct kts){0, 0};
    uint64_t ns = epoch_offset < 0 ? mono_ns() : real_ns();
    return (struct kts){ns / NSEC, ns % NSEC};
}

static int clock_ns(uint64_t clk, uint64_t *ns)
{
    switch (clk) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
        *ns = real_ns();
        return 0;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
        *ns = mono_ns();
        return 0;
    default:
        return -EINVAL;
    }
}

long sys_clock_gettime(uint64_t clk, uint64_t ts)
{
    uint64_t ns;
    int rc = clock_ns(clk, &ns);
    if (rc)
        return rc;
    struct ktimespec t = ns_ktimespec(ns);
    return copy_to_user(ts, &t, sizeof(t));
}

long sys_clock_getres(uint64_t clk, uint64_t ts)
{
    uint64_t ns;
    int rc = clock_ns(clk, &ns);
    if (rc)
        return rc;
    struct ktimespec t = {0, 1};
    return ts ? copy_to_user(ts, &t, sizeof(t)) : 0;
}

long sys_gettimeofday(uint64_t tv, uint64_t tz)
{
    uint64_t ns = real_ns();
    int64_t t[2] = {ns / NSEC, ns % NSEC / 1000};
    if (tv && copy_to_user(tv, t, sizeof(t)))
        return -EFAULT;
    int32_t z[2] = {0, 0};
    if (tz && copy_to_user(tz, z, sizeof(z)))
        return -EFAULT;
    return 0;
}

long sys_time(uint64_t t)
{
    int64_t s = real_ns() / NSEC;
    if (t && copy_to_user(t, &s, sizeof(s)))
        return -EFAULT;
    return s;
}

uint64_t time_tsc_of_clock_ns(bool realtime, uint64_t ns)
{
    uint64_t now = realtime ? real_ns() : mono_ns();
    uint64_t t = rdtsc();
    return ns <= now ? t : t + ns_to_tsc(ns - now);
}

/* Sleeps in the scheduler (the CPU halts, other threads run) until the clock reaches the time. */
static int wait_until(uint64_t clk_ns_deadline, bool realtime)
{
    return usleep_until(time_tsc_of_clock_ns(realtime, clk_ns_deadline));
}

long sys_clock_nanosleep(uint64_t clk, uint64_t flags, uint64_t req, uint64_t rem)
{
    struct ktimespec t;
    uint64_t now;
    int rc = clock_ns(clk, &now);
    if (rc)
        return rc;
    if (clk == CLOCK_THREAD_CPUTIME_ID)
        return -EINVAL;
    if (copy_from_user(&t, req, sizeof(t)))
        return -EFAULT;
    if (!ktimespec_ok(&t))
        return -EINVAL;
    uint64_t want = ktimespec_ns(&t);
    uint64_t deadline = (flags & TIMER_ABSTIME) ? want : now + want;
    bool realtime = clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE;
    if (wait_until(deadline, realtime)) {
        /* A signal came: what is left, and EINTR (Linux restarts nanosleep only without a
         * handler, and then the process is ending or the signal was ignored). */
        if (rem && !(flags & TIMER_ABSTIME)) {
            clock_ns(clk, &now);
            uint64_t left = deadline > now ? deadline - now : 0;
            struct ktimespec r = ns_ktimespec(left);
            copy_to_user(rem, &r, sizeof(r));
        }
        return -EINTR;
    }
    if (rem && !(flags & TIMER_ABSTIME)) {
        struct ktimespec z = {0, 0};
        copy_to_user(rem, &z, sizeof(z));
    }
    return 0;
}

long sys_nanosleep(uint64_t req, uint64_t rem)
{
    return sys_clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem);
}

uint64_t time_mono_ns(void)
{
    return mono_ns();
}

uint64_t time_real_ns(void)
{
    return real_ns();
}

/* For poll/select/epoll timeouts (milliseconds; < 0 is forever), in mono_ns time. */
uint64_t time_deadline_ms(long ms)
{
    return ms < 0 ? UINT64_MAX : mono_ns() + (uint64_t)ms * 1000000;
}

/* The TSC value at a deadline of time_deadline_ms (0 for none, as wait_on wants it). */
uint64_t time_deadline_tsc(uint64_t deadline)
{
    if (deadline == UINT64_MAX)
        return 0;
    uint64_t now = mono_ns(), tsc = rdtsc();
    uint64_t left = deadline > now ? MIN(deadline - now, 1000000000000000ull) : 0;
    return tsc + ns_to_tsc(left) + 1; /* never 0 */
}

bool time_passed(uint64_t deadline)
{
    return deadline != UINT64_MAX && mono_ns() >= deadline;
}
