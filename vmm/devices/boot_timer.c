/* Boot-time signal; see boot_timer.h. The same ops serve the port and the MMIO slot. */
#include "vmm/devices/boot_timer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abi/ports.h"
#include "vmm/log.h"
#include "vmm/metrics.h"

void boot_timer_init(struct boot_timer *t, const struct dev_env *env)
{
    memset(t, 0, sizeof(*t));
    t->env = env;
}

void boot_timer_format(char *buf, size_t len, uint64_t wall_us, uint64_t cpu_us)
{
    snprintf(buf, len, "Guest-boot-time = %llu us %llu ms, %llu CPU us %llu CPU ms",
             (unsigned long long)wall_us, (unsigned long long)(wall_us / 1000),
             (unsigned long long)cpu_us, (unsigned long long)(cpu_us / 1000));
}

static uint64_t us_since(clockid_t clock, const struct timespec *start)
{
    struct timespec now;
    clock_gettime(clock, &now);
    int64_t ns = (int64_t)(now.tv_sec - start->tv_sec) * 1000000000 +
                 (now.tv_nsec - start->tv_nsec);
    return ns > 0 ? (uint64_t)ns / 1000 : 0;
}

static void boot_timer_write(void *dev, uint64_t off, const uint8_t *data, unsigned size)
{
    struct boot_timer *t = dev;
    char line[128];

    if (off != 0 || data[0] != BOOT_TIMER_MAGIC)
        return;
    t->wall_us = us_since(CLOCK_MONOTONIC, &t->env->start_wall);
    t->cpu_us = us_since(CLOCK_PROCESS_CPUTIME_ID, &t->env->start_cpu);
    t->fired++;
    metric_set(M_boot__guest_boot_time_us, t->wall_us);
    metric_set(M_boot__guest_boot_time_cpu_us, t->cpu_us);
    boot_timer_format(line, sizeof(line), t->wall_us, t->cpu_us);
    log_msg(LOG_INFO, "%s", line);
}

static void boot_timer_read(void *dev, uint64_t off, uint8_t *data, unsigned size)
{
    memset(data, 0, size);
}

const struct dev_ops boot_timer_ops = { .read = boot_timer_read, .write = boot_timer_write };

void *boot_timer_create(const struct dev_env *env)
{
    struct boot_timer *t = malloc(sizeof(*t));
    if (t)
        boot_timer_init(t, env);
    return t;
}
