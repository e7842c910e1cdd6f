/* schedbench: user-level scheduler costs, measured the same way on any Linux-ABI kernel (Mote, or
 * Linux with this program as /init; bench/sched.py runs both). Prints one line per measurement,
 * "schedbench <what>: <ns> ns" (median of the samples), after a "schedbench start" line with
 * CLOCK_MONOTONIC at main(). Measures: thread create+join (pthreads; unpinned, then with the
 * process pinned to CPU 0, so the new thread starts on its creator's CPU), context switch (two
 * threads on one CPU ping-ponging through private futexes; one switch = half a round trip),
 * cross-CPU wake-up round trip (the same ping-pong with the threads pinned to CPUs 0 and 1 by
 * sched_setaffinity, and where each thread really ran, from getcpu). Arguments: --klog prints the
 * kernel log's SMP bring-up, mitigation and "Run /init" lines (Linux's syslog(2), for their printk
 * timestamps); --poweroff, as pid 1, powers the machine off at the end (Linux's init must not
 * exit). Built with musl (static). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* <linux/futex.h> values (musl-gcc has no kernel headers). */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

#define CREATE_SAMPLES 201
#define PINGPONG_ROUNDS 1001

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *xs, int n)
{
    qsort(xs, n, sizeof(*xs), cmp_u64);
    return xs[n / 2];
}

static void *nothing(void *arg)
{
    return arg;
}

static uint64_t bench_create(void)
{
    static uint64_t samples[CREATE_SAMPLES];
    for (int i = 0; i < CREATE_SAMPLES; i++) {
        pthread_t t;
        uint64_t t0 = now_ns();
        if (pthread_create(&t, NULL, nothing, NULL) != 0) {
            printf("schedbench: pthread_create failed\n");
            exit(1);
        }
        pthread_join(t, NULL);
        samples[i] = now_ns() - t0;
    }
    return median(samples, CREATE_SAMPLES);
}

/* Ping-pong: the word says whose turn it is (0: main thread, 1: partner). */
static _Atomic uint32_t word;
static int partner_cpu, partner_ran_on;
static uint64_t rounds[PINGPONG_ROUNDS];

static void futex_wait(_Atomic uint32_t *w, uint32_t val)
{
    syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *w)
{
    syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static int pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set);
}

static int current_cpu(void)
{
    unsigned cpu = 0;
    if (syscall(SYS_getcpu, &cpu, NULL, NULL) != 0)
        return -1;
    return (int)cpu;
}

static void *partner(void *arg)
{
    pin(partner_cpu);
    partner_ran_on = current_cpu();
    for (int i = 0; i < PINGPONG_ROUNDS; i++) {
        while (atomic_load(&word) != 1)
            futex_wait(&word, 0);
        atomic_store(&word, 0);
        futex_wake(&word);
    }
    return arg;
}

/* Median round trip in ns; *main_cpu and partner_ran_on say where the two threads ran. */
static uint64_t bench_pingpong(int cpu_a, int cpu_b, int *main_cpu)
{
    pthread_t t;
    pin(cpu_a);
    partner_cpu = cpu_b;
    atomic_store(&word, 0);
    if (pthread_create(&t, NULL, partner, NULL) != 0) {
        printf("schedbench: pthread_create failed\n");
        exit(1);
    }
    *main_cpu = current_cpu();
    for (int i = 0; i < PINGPONG_ROUNDS; i++) {
        uint64_t t0 = now_ns();
        atomic_store(&word, 1);
        futex_wake(&word);
        while (atomic_load(&word) != 0)
            futex_wait(&word, 1);
        rounds[i] = now_ns() - t0;
    }
    pthread_join(t, NULL);
    return median(rounds, PINGPONG_ROUNDS);
}

/* The kernel log lines (syslog(2) READ_ALL) about SMP bring-up, Spectre/Meltdown mitigations and
 * starting init. */
static void print_klog(void)
{
    static char buf[1 << 18];
    int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);
    if (n < 0) {
        printf("schedbench klog: unavailable (%s)\n", strerror(errno));
        return;
    }
    buf[n] = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        if (strstr(line, "smp: ") || strstr(line, "Run /init") || strstr(line, "isolation") ||
            strstr(line, "Mitigation"))
            printf("schedbench klog: %s\n", line);
}

/* Linux starts init with no stdout when the initrd has no /dev/console: make one. */
static void ensure_console(void)
{
    if (fcntl(1, F_GETFD) != -1)
        return;
    mkdir("/dev", 0755);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    int fd = open("/dev/console", O_RDWR);
    if (fd < 0)
        return;
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (fd > 2)
        close(fd);
}

int main(int argc, char **argv)
{
    uint64_t start = now_ns();
    ensure_console();
    setvbuf(stdout, NULL, _IOLBF, 0);
    int poweroff = 0, klog = 0;
    for (int i = 1; i < argc; i++) {
        poweroff |= strcmp(argv[i], "--poweroff") == 0;
        klog |= strcmp(argv[i], "--klog") == 0;
    }
    cpu_set_t set;
    int ncpu = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : -1;
    printf("schedbench start: %llu ns since the kernel's clock began, %d CPUs usable\n",
           (unsigned long long)start, ncpu);

    printf("schedbench thread create+join: %llu ns\n", (unsigned long long)bench_create());

    int a;
    uint64_t rt = bench_pingpong(0, 0, &a);
    printf("schedbench context switch: %llu ns (futex ping-pong, CPUs %d and %d)\n",
           (unsigned long long)(rt / 2), a, partner_ran_on);

    /* Still pinned to CPU 0 by the ping-pong, and new threads inherit it. */
    printf("schedbench thread create+join on CPU 0: %llu ns\n",
           (unsigned long long)bench_create());

    rt = bench_pingpong(0, 1, &a);
    printf("schedbench cross-CPU wake-up round trip: %llu ns (futex ping-pong, CPUs %d and %d%s)\n",
           (unsigned long long)rt, a, partner_ran_on,
           a < 0 ? "; getcpu unavailable"
                 : a == partner_ran_on ? "; affinity not honoured: same CPU" : "");
    if (klog)
        print_klog();
    printf("schedbench done\n");
    if (poweroff && getpid() == 1) {
        sync();
        reboot(RB_POWER_OFF);
    }
    return 0;
}
